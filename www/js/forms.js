/* forms.js - form parts used by more than one page: donation choices,
 * a contact (emergency contact, guardian, proxy), the living will's five
 * wishes with proxies and witnesses, and the donor card and living will
 * document views. Needs common.js. */
(function () {
  'use strict';

  var Reg = window.Reg, el = Reg.el;

  /* ---- donation choices ----------------------------------------------------- */

  Reg.donationFieldset = function () {
    var all = Reg.checkbox('all_organs', '捐献全部可用器官', { 'data-role': 'all' });
    var organs = Reg.ORGANS.map(function (o) { return Reg.checkbox('organ', o[1], { value: o[0] }); });
    var body = Reg.checkbox('body', '遗体捐献（用于医学教学与研究）', { 'data-role': 'body' });
    var fs = el('fieldset', { 'data-field': 'donation' }, [
      el('legend', { text: '捐献意愿' }),
      el('span', { class: 'hint', text: '可选择全部器官，或其中的若干项；遗体捐献单独选择。' }),
      all,
      el('div', { class: 'choices', 'data-field': 'donation.organs' }, organs.concat([el('p', { class: 'err', role: 'alert' })])),
      el('div', { 'data-field': 'donation.body' }, [body, el('p', { class: 'err', role: 'alert' })]),
      el('p', { class: 'err', role: 'alert' })
    ]);
    var allBox = all.querySelector('input');
    allBox.addEventListener('change', function () {
      Reg.$$('input[name=organ]', fs).forEach(function (cb) {
        cb.disabled = allBox.checked;
        if (allBox.checked) cb.checked = false;
      });
    });
    return {
      box: fs,
      value: function () {
        return {
          all_organs: allBox.checked,
          organs: allBox.checked ? [] : Reg.$$('input[name=organ]:checked', fs).map(function (cb) { return cb.value; }),
          body: Reg.$('input[name=body]', fs).checked
        };
      },
      set: function (d) {
        d = d || {};
        allBox.checked = !!d.all_organs;
        allBox.dispatchEvent(new Event('change'));
        Reg.$$('input[name=organ]', fs).forEach(function (cb) { cb.checked = (d.organs || []).indexOf(cb.value) >= 0; });
        Reg.$('input[name=body]', fs).checked = !!d.body;
      },
      check: function (errors) {
        var v = this.value();
        if (!v.all_organs && !v.organs.length && !v.body) errors.donation = '请至少选择一项捐献意愿 (choose at least one)';
      }
    };
  };

  Reg.donationText = function (d) {
    if (!d) return '';
    if (typeof d === 'string') return d;
    var parts = [];
    if (d.all_organs) parts.push('全部器官');
    (d.organs || []).forEach(function (o) {
      var hit = Reg.ORGANS.filter(function (x) { return x[0] === o; })[0];
      parts.push(hit ? hit[1] : o);
    });
    if (d.body) parts.push('遗体');
    return parts.join('、');
  };

  /* ---- a person to contact --------------------------------------------------------------- */

  /* Name, relation and mobile under the dotted PREFIX ("emergency_contact",
   * "guardian", "wishes.proxies.0"). opts.relation false leaves it out. */
  Reg.contactFields = function (prefix, opts) {
    opts = opts || {};
    var name = Reg.input('text', { autocomplete: 'off', maxlength: 30 });
    var rel = Reg.select(Reg.RELATIONS, {}, '请选择');
    var mobile = Reg.input('tel', { inputmode: 'numeric', maxlength: 11, autocomplete: 'off' });
    var box = el('div', { class: 'contact' }, [
      el('div', { class: 'row' }, [
        Reg.field(prefix + '.name', opts.nameLabel || '姓名', name),
        Reg.field(prefix + '.relation', '与本人关系', rel)
      ]),
      Reg.field(prefix + '.mobile', '手机号码', mobile)
    ]);
    return {
      box: box,
      value: function () {
        return { name: name.value.trim(), relation: rel.value, mobile: mobile.value.trim() };
      },
      set: function (c) {
        c = c || {};
        name.value = c.name || '';
        if (c.relation && Reg.RELATIONS.indexOf(c.relation) < 0) rel.appendChild(el('option', { value: c.relation, text: c.relation }));
        rel.value = c.relation || '';
        /* masked numbers from the server are not put back into the form */
        mobile.value = c.mobile && Reg.mobileOk(c.mobile) ? c.mobile : '';
        mobile.placeholder = c.mobile && !Reg.mobileOk(c.mobile) ? c.mobile + '（不修改请留空）' : '';
      },
      check: function (errors, mobileOptional) {
        var v = this.value();
        if (Reg.len(v.name) < 2 || Reg.len(v.name) > 30) errors[prefix + '.name'] = '请填写姓名，2–30个字 (name, 2-30 characters)';
        if (!v.relation) errors[prefix + '.relation'] = '请选择与本人关系 (relation is required)';
        if (!(mobileOptional && !v.mobile) && !Reg.mobileOk(v.mobile)) errors[prefix + '.mobile'] = Reg.MOBILE_MSG;
      }
    };
  };

  /* ---- the five wishes ---------------------------------------------------------------------- */

  function area(name, label, hint) {
    var t = el('textarea', { rows: 4, maxlength: 2000 });
    return { input: t, box: Reg.field(name, label, t, hint) };
  }

  /* Wishes, proxies (1-3), signing date and two witnesses. */
  Reg.willFields = function () {
    var w1 = area('wishes.medical_care', '第一个愿望：我要或不要什么医疗服务', '例如：希望在病情不可逆转时，不做气管切开、心肺复苏等有创抢救。');
    var choiceBox = el('div', { class: 'field', 'data-field': 'wishes.life_support.choice' }, [
      el('span', { class: 'label', text: '第二个愿望：我希望使用或不使用生命支持治疗' })
    ]);
    var choiceName = Reg.uid('ls');
    [['want', '我希望使用生命支持治疗'], ['do_not_want', '我不希望使用生命支持治疗'], ['proxy_decides', '由我的代理人决定']]
      .forEach(function (c) {
        var r = el('input', { type: 'radio', name: choiceName, value: c[0], id: Reg.uid('rd') });
        choiceBox.appendChild(el('label', { class: 'check', for: r.id }, [r, el('span', { text: c[1] })]));
      });
    choiceBox.appendChild(el('p', { class: 'err', role: 'alert' }));
    var note = area('wishes.life_support.note', '补充说明（可选）');
    var w3 = area('wishes.comfort', '第三个愿望：我希望别人怎样对待我', '例如：希望减轻疼痛，希望有亲人陪伴，希望在家中度过最后时光。');
    var w4 = area('wishes.family_message', '第四个愿望：我想让我的家人和朋友知道什么');

    var proxyList = el('div', { class: 'proxies' });
    var proxies = [];
    var addBtn = el('button', { type: 'button', class: 'secondary', text: '＋ 增加一位代理人' });
    function renumber() {
      proxies.forEach(function (p, i) {
        Reg.$$('[data-field]', p.box).forEach(function (b) {
          b.setAttribute('data-field', b.getAttribute('data-field').replace(/^wishes\.proxies\.\d+/, 'wishes.proxies.' + i));
        });
        Reg.$('legend', p.box).textContent = '代理人 ' + (i + 1);
      });
      addBtn.disabled = proxies.length >= 3;
      proxies.forEach(function (p) { p.remove.classList.toggle('hidden', proxies.length <= 1); });
    }
    function addProxy(data) {
      if (proxies.length >= 3) return;
      var c = Reg.contactFields('wishes.proxies.' + proxies.length);
      var remove = el('button', { type: 'button', class: 'secondary', text: '删除此代理人' });
      var box = el('fieldset', { class: 'proxy' }, [el('legend'), c.box, remove]);
      var p = { c: c, box: box, remove: remove };
      remove.addEventListener('click', function () {
        proxies.splice(proxies.indexOf(p), 1);
        proxyList.removeChild(box);
        renumber();
      });
      proxies.push(p);
      proxyList.appendChild(box);
      if (data) c.set(data);
      renumber();
    }
    addBtn.addEventListener('click', function () { addProxy(); });
    addProxy();

    var signed = Reg.input('date', { value: Reg.today(), max: Reg.today() });
    var wit = [Reg.input('text', { maxlength: 30 }), Reg.input('text', { maxlength: 30 })];

    var box = el('div', {}, [
      el('fieldset', { 'data-field': 'wishes' }, [
        el('legend', { text: '我的五个愿望' }),
        w1.box, choiceBox, note.box, w3.box, w4.box,
        el('p', { class: 'err', role: 'alert' })
      ]),
      el('fieldset', { 'data-field': 'wishes.proxies' }, [
        el('legend', { text: '第五个愿望：我希望谁帮助我（代理人，1–3位）' }),
        el('span', { class: 'hint', text: '当我不能为自己做医疗决定时，由代理人按我的愿望替我决定。每位代理人会得到一个查阅码。' }),
        proxyList, addBtn,
        el('p', { class: 'err', role: 'alert' })
      ]),
      el('fieldset', { 'data-field': 'witnesses' }, [
        el('legend', { text: '签署与见证' }),
        Reg.field('signed_on', '签署日期', signed),
        el('div', { class: 'row' }, [
          Reg.field('witnesses.0.name', '见证人一 姓名', wit[0]),
          Reg.field('witnesses.1.name', '见证人二 姓名', wit[1])
        ]),
        el('span', { class: 'hint', text: '见证人应为成年人，且不是您的代理人。' }),
        el('p', { class: 'err', role: 'alert' })
      ])
    ]);

    function checked() {
      var r = Reg.$('input[name="' + choiceName + '"]:checked', box);
      return r ? r.value : '';
    }

    return {
      box: box,
      value: function () {
        return {
          wishes: {
            medical_care: w1.input.value.trim(),
            life_support: { choice: checked(), note: note.input.value.trim() },
            comfort: w3.input.value.trim(),
            family_message: w4.input.value.trim(),
            proxies: proxies.map(function (p) { return p.c.value(); })
          },
          signed_on: signed.value,
          witnesses: wit.map(function (w) { return { name: w.value.trim() }; })
        };
      },
      set: function (v) {
        var ws = v.wishes || {};
        w1.input.value = ws.medical_care || '';
        var ls = ws.life_support || {};
        Reg.$$('input[name="' + choiceName + '"]', box).forEach(function (r) { r.checked = r.value === ls.choice; });
        note.input.value = ls.note || '';
        w3.input.value = ws.comfort || '';
        w4.input.value = ws.family_message || '';
        while (proxies.length) { proxyList.removeChild(proxies.pop().box); }
        (ws.proxies && ws.proxies.length ? ws.proxies : [{}]).forEach(function (p) { addProxy(p); });
        signed.value = v.signed_on || Reg.today();
        (v.witnesses || []).forEach(function (w, i) { if (wit[i]) wit[i].value = w.name || ''; });
      },
      check: function (errors) {
        var v = this.value();
        if (!v.wishes.life_support.choice) errors['wishes.life_support.choice'] = '请选择是否使用生命支持治疗 (choose one)';
        proxies.forEach(function (p) { p.c.check(errors); });
        if (!/^\d{4}-\d{2}-\d{2}$/.test(v.signed_on)) errors.signed_on = '请填写签署日期 (signing date)';
        else if (v.signed_on > Reg.today()) errors.signed_on = '签署日期不能晚于今天 (cannot be in the future)';
        v.witnesses.forEach(function (w, i) {
          if (Reg.len(w.name) < 2 || Reg.len(w.name) > 30) errors['witnesses.' + i + '.name'] = '请填写见证人姓名，2–30个字 (witness name)';
        });
        if (!errors['witnesses.1.name'] && v.witnesses[0].name && v.witnesses[0].name === v.witnesses[1].name) {
          errors['witnesses.1.name'] = '两位见证人不能是同一人 (two different witnesses)';
        }
      }
    };
  };

  /* ---- views --------------------------------------------------------------------------------- */

  Reg.verifyUrl = function (card) {
    return window.location.origin + '/registry/verify.html?number=' + encodeURIComponent(card.number) +
      '&sig=' + encodeURIComponent(card.signature || '');
  };

  /* The electronic donor card. NAME is what the registrant typed (or the
   * lookup's name), shown only on their own screen. */
  Reg.donorCard = function (card, name, status) {
    var url = Reg.verifyUrl(card);
    var withdrawn = (status || card.status) === 'withdrawn';
    return el('section', { class: 'donor-card print-area' + (withdrawn ? ' withdrawn' : ''), id: 'donor-card' }, [
      el('h3', { text: '中国人体器官捐献志愿者' }),
      el('p', { class: 'sub', text: withdrawn ? '电子登记卡 · 本登记已撤回' : '电子登记卡 · 感谢您的大爱' }),
      Reg.kv([
        ['姓名', name || ''],
        ['登记号', card.number, 'number'],
        ['捐献意愿', Reg.donationText(card.donation)],
        ['登记地区', card.region_name || card.region],
        ['登记月份', card.month]
      ], 'keep'),
      el('p', { class: 'verify' }, ['核验：', el('a', { href: url, id: 'card-verify-link', text: url })])
    ]);
  };

  var CHOICES = { want: '我希望使用生命支持治疗', do_not_want: '我不希望使用生命支持治疗', proxy_decides: '由我的代理人决定' };

  /* A living will version as a document (screen and print). */
  Reg.willDoc = function (w, number) {
    var ws = w.wishes || {}, ls = ws.life_support || {};
    function part(title, text) {
      return [el('h3', { text: title }), el('p', { text: text || '（未填写）' })];
    }
    var kids = [el('h2', { text: '我的五个愿望 · 生前预嘱' }),
      Reg.kv([['编号', number || w.number], ['姓名', w.name], ['版本', w.version ? '第 ' + w.version + ' 版' : ''],
        ['状态', Reg.STATUS[w.status] || w.status], ['签署日期', w.signed_on]], 'keep')];
    kids = kids.concat(part('第一个愿望：我要或不要什么医疗服务', ws.medical_care));
    kids = kids.concat(part('第二个愿望：我希望使用或不使用生命支持治疗',
      (CHOICES[ls.choice] || ls.choice || '') + (ls.note ? '\n' + ls.note : '')));
    kids = kids.concat(part('第三个愿望：我希望别人怎样对待我', ws.comfort));
    kids = kids.concat(part('第四个愿望：我想让我的家人和朋友知道什么', ws.family_message));
    kids.push(el('h3', { text: '第五个愿望：我希望谁帮助我' }));
    kids.push(el('ul', {}, (ws.proxies || []).map(function (p) {
      return el('li', { text: [p.name, p.relation, p.mobile].filter(Boolean).join(' · ') });
    })));
    kids.push(el('p', { class: 'signature-line', text: '见证人：' + (w.witnesses || []).map(function (x) { return x.name; }).join('、') }));
    return el('article', { class: 'will-doc print-area', id: 'will-doc' }, kids);
  };

  /* Shown once after registration: a code with a clear warning. */
  /* Codes are shown grouped XXXX-XXXX-XXXX whatever form they arrive in. */
  Reg.formatCode = function (code) {
    var c = String(code || '').replace(/[-\s]/g, '').toUpperCase();
    return c.length === 12 ? c.slice(0, 4) + '-' + c.slice(4, 8) + '-' + c.slice(8) : String(code || '');
  };

  Reg.codeNotice = function (title, code, id) {
    code = Reg.formatCode(code);
    return el('div', { class: 'notice warn' }, [
      el('strong', { text: title }),
      el('p', { class: 'code', id: id, text: code }),
      el('p', { text: '请立即抄写或截图保存。查询码只显示这一次，我们不保存明文，遗失后无法找回。查询、修改或撤回时需要身份证号和查询码。' })
    ]);
  };

  Reg.printButton = function (label) {
    return el('button', { type: 'button', class: 'secondary no-print', text: label || '打印', onclick: function () { window.print(); } });
  };
})();
