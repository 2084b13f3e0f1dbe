/* donor.js - 器官捐献志愿登记: POST /api/registry/donors, then the
 * registration number, the access code (shown once) and the donor card. */
(function () {
  'use strict';

  var Reg = window.Reg, el = Reg.el;
  var app = Reg.$('#app');

  var name = Reg.input('text', { autocomplete: 'name', maxlength: 30 });
  var id = Reg.input('text', { autocomplete: 'off', maxlength: 18, inputmode: 'text', spellcheck: 'false' });
  var eth = Reg.select(Reg.ETHNICITIES, {}, '请选择民族');
  var mobile = Reg.input('tel', { autocomplete: 'tel', inputmode: 'numeric', maxlength: 11 });
  var region = Reg.regionPicker('region', '所在地区 *', { hint: '请选择到市（州）或县（区）' });
  var donation = Reg.donationFieldset();
  var contact = Reg.contactFields('emergency_contact');
  var consents = [
    ['voluntary', '我自愿登记成为人体器官捐献志愿者，未受任何胁迫或利诱。'],
    ['informed', '我已阅读并了解人体器官捐献的相关知识和登记须知。'],
    ['revocable', '我知道可以随时修改或撤回登记，撤回无需理由。']
  ].map(function (c) {
    var cb = Reg.checkbox('consents.' + c[0], c[1]);
    return { key: c[0], input: cb.querySelector('input'),
      box: el('div', { 'data-field': 'consents.' + c[0] }, [cb, el('p', { class: 'err', role: 'alert' })]) };
  });
  var guardian = Reg.contactFields('guardian', { nameLabel: '监护人姓名' });
  var gConsent = Reg.checkbox('guardian.consent', '我是登记人的法定监护人，同意其登记。');
  var guardianBox = el('fieldset', { class: 'hidden', id: 'guardian', 'data-field': 'guardian' }, [
    el('legend', { text: '监护人（未满18周岁须填写）' }),
    el('span', { class: 'hint', text: '根据身份证号，登记人未满18周岁，需由法定监护人同意。' }),
    guardian.box,
    el('div', { 'data-field': 'guardian.consent' }, [gConsent, el('p', { class: 'err', role: 'alert' })]),
    el('p', { class: 'err', role: 'alert' })
  ]);
  var idInfo = el('span', { class: 'hint', id: 'id-info' });
  /* 民族 is required only where a region's rules ask for it: 云南省
   * (scripts/530000/registry.validate.lua); elsewhere it may be left out.
   * The label follows the province chosen; the server has the last word
   * (a rule's message appears next to the field like any other). */
  var ETHNICITY_REQUIRED = ['530000'];
  var ethField = Reg.field('ethnicity', '民族（选填）', eth, '云南省登记须填写，其他地区可不填');
  function ethnicityRequired() {
    var code = region.value();
    return code.length === 6 && ETHNICITY_REQUIRED.indexOf(code.slice(0, 2) + '0000') >= 0;
  }
  function onRegion() {
    Reg.$('label', ethField).textContent = ethnicityRequired() ? '民族 *' : '民族（选填）';
  }
  region.box.addEventListener('change', onRegion);
  var submit = el('button', { type: 'submit', text: '提交登记' });

  var form = el('form', { id: 'donor-form', novalidate: true }, [
    el('p', { class: 'lead', text: '填写以下信息即可完成登记。带 * 的为必填项。您的身份证号和手机号将加密保存，仅以部分遮盖的形式显示。' }),
    el('fieldset', {}, [
      el('legend', { text: '本人信息' }),
      Reg.field('name', '姓名 *', name),
      (function () { var f = Reg.field('id_number', '身份证号 *', id); f.insertBefore(idInfo, f.lastChild); return f; })(),
      ethField,
      Reg.field('mobile', '手机号码 *', mobile),
      region.box
    ]),
    donation.box,
    el('fieldset', { 'data-field': 'emergency_contact' }, [el('legend', { text: '紧急联系人 *' }), contact.box]),
    guardianBox,
    el('fieldset', { 'data-field': 'consents' }, [el('legend', { text: '知情同意 *' })]
      .concat(consents.map(function (c) { return c.box; }))
      .concat([el('p', { class: 'err', role: 'alert' })])),
    el('p', { class: 'notice error form-error', role: 'alert' }),
    el('div', { class: 'actions' }, [submit])
  ]);
  var result = el('div', { id: 'result', class: 'hidden' });
  app.appendChild(form);
  app.appendChild(result);

  function age() {
    var info = Reg.idInfo(id.value);
    return info.ok ? info.age : null;
  }

  function onId() {
    var info = Reg.idInfo(id.value);
    var minor = info.ok && info.age < 18;
    Reg.show(guardianBox, minor);
    idInfo.textContent = info.ok ? '出生日期 ' + info.birth + ' · ' + info.gender + ' · ' + info.age + '岁' : '';
  }
  id.addEventListener('input', onId);
  id.addEventListener('change', onId);
  id.addEventListener('blur', function () {
    if (!id.value.trim()) return;
    var info = Reg.idInfo(id.value);
    var box = Reg.fieldBox(form, 'id_number');
    box.querySelector('.err').textContent = info.ok ? '' : info.reason;
    box.classList.toggle('invalid', !info.ok);
  });

  function check() {
    var e = {};
    if (Reg.len(name.value) < 2 || Reg.len(name.value) > 30) e.name = '请填写姓名，2–30个字 (name, 2-30 characters)';
    var info = Reg.idInfo(id.value);
    if (!info.ok) e.id_number = info.reason;
    if (!eth.value && ethnicityRequired()) e.ethnicity = '云南省登记请选择民族 (ethnicity is required in 云南)';
    if (!Reg.mobileOk(mobile.value)) e.mobile = Reg.MOBILE_MSG;
    region.check(e);
    donation.check(e);
    contact.check(e);
    consents.forEach(function (c) {
      if (!c.input.checked) e['consents.' + c.key] = '请阅读并勾选此项 (required)';
    });
    if (info.ok && info.age < 18) {
      guardian.check(e);
      if (!gConsent.querySelector('input').checked) e['guardian.consent'] = '需要监护人同意 (guardian consent required)';
    }
    return e;
  }

  function body() {
    var b = {
      name: name.value.trim(),
      id_number: id.value.trim().toUpperCase(),
      mobile: mobile.value.trim(),
      region: region.value(),
      donation: donation.value(),
      emergency_contact: contact.value(),
      consents: {}
    };
    if (eth.value) b.ethnicity = eth.value;
    consents.forEach(function (c) { b.consents[c.key] = c.input.checked; });
    var a = age();
    if (a !== null && a < 18) {
      b.guardian = guardian.value();
      b.guardian.consent = gConsent.querySelector('input').checked;
    }
    return b;
  }

  function done(data, typedName) {
    Reg.hide(form);
    Reg.clear(result);
    var card = data.card || { number: data.number };
    result.appendChild(el('div', { class: 'notice' }, [
      el('strong', { text: '登记成功，感谢您的大爱！' }),
      el('p', {}, ['您的登记号：', el('strong', { id: 'reg-number', text: data.number })])
    ]));
    result.appendChild(Reg.codeNotice('您的查询码（只显示这一次）', data.access_code, 'access-code'));
    result.appendChild(Reg.donorCard(card, typedName, data.status));
    result.appendChild(el('div', { class: 'actions no-print' }, [
      Reg.printButton('打印登记卡'),
      el('a', { class: 'button secondary', href: '/registry/my.html', text: '查询或修改登记' })
    ]));
    Reg.show(result);
    window.scrollTo(0, 0);
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (Reg.clientChecks) {
      var e = check();
      if (Object.keys(e).length) { Reg.fail(form, e); return; }
    }
    Reg.clearErrors(form);
    var b = body();
    Reg.busy(submit, true);
    Reg.api('POST', '/api/registry/donors', b).then(function (r) {
      Reg.busy(submit, false);
      if (r.ok) { done(r.data, b.name); return; }
      if (r.error.code === 'already_registered') {
        r.error.fields = r.error.fields || {};
        Reg.showErrors(form, r.error);
        Reg.$('.form-error', form).appendChild(el('a', { href: '/registry/my.html', text: ' 前往查询或修改登记' }));
        return;
      }
      Reg.showErrors(form, r.error);
    });
  });
})();
