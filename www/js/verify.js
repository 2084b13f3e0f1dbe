/* verify.js - donor card check: GET /api/registry/cards/:number?sig=
 * with the number and signature from the link. Shows only whether the
 * card is valid, withdrawn or replaced by a newer card, its region and
 * month: nothing personal. */
(function () {
  'use strict';

  var Reg = window.Reg, el = Reg.el;
  var app = Reg.$('#app');
  var number = (Reg.param('number') || '').trim();
  var sig = (Reg.param('sig') || '').trim();
  var out = el('div', { id: 'verify-result', 'aria-live': 'polite' }, [el('p', { text: '正在核验…' })]);
  app.appendChild(out);

  function verdict(cls, text, rows) {
    Reg.clear(out);
    out.appendChild(el('p', { class: 'verdict ' + cls, id: 'verdict', text: text }));
    if (rows) out.appendChild(Reg.kv(rows));
    out.appendChild(el('p', { class: 'hint', text: '本页只显示登记卡是否有效、登记地区和月份，不显示任何个人信息。' }));
  }

  if (!number || !sig) {
    verdict('invalid', '链接不完整', [['说明', '请使用登记卡上的完整核验链接。']]);
    return;
  }
  Reg.api('GET', '/api/registry/cards/' + encodeURIComponent(number) + '?sig=' + encodeURIComponent(sig)).then(function (r) {
    if (!r.ok) {
      verdict('invalid', '暂时无法核验', [['说明', r.error.message]]);
      return;
    }
    var d = r.data || {};
    var rows = [['登记号', number], ['登记地区', d.region_name], ['登记月份', d.month]];
    if (!d.valid && d.superseded) {
      verdict('invalid', '已更换', [['登记号', number], ['说明', '此登记卡由本平台签发，但登记信息修改后已换发新卡，旧卡不再有效。请使用最新的登记卡。']]);
    } else if (!d.valid) verdict('invalid', '无效', [['说明', '此登记卡无法核验，可能链接有误或卡片不是本平台签发的。']]);
    else if (d.status === 'withdrawn') verdict('withdrawn', '已撤回', rows);
    else verdict('valid', '有效', rows);
  });
})();
