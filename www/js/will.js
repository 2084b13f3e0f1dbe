/* will.js - 我的五个愿望: POST /api/registry/wills, then the number, the
 * access code and each proxy's code, shown once. */
(function () {
  'use strict';

  var Reg = window.Reg, el = Reg.el;
  var app = Reg.$('#app');

  var name = Reg.input('text', { autocomplete: 'name', maxlength: 30 });
  var id = Reg.input('text', { autocomplete: 'off', maxlength: 18, spellcheck: 'false' });
  var mobile = Reg.input('tel', { autocomplete: 'tel', inputmode: 'numeric', maxlength: 11 });
  var region = Reg.regionPicker('region', '所在地区 *', { hint: '请选择到市（州）或县（区）' });
  var will = Reg.willFields();
  var submit = el('button', { type: 'submit', text: '签署并登记' });

  var form = el('form', { id: 'will-form', novalidate: true }, [
    el('p', { class: 'lead', text: '“我的五个愿望”是一份生前预嘱：在您清醒时，写下将来不能表达意愿时希望得到怎样的医疗照护。' +
      '仅限年满18周岁的本人登记；您可以随时修改或撤销。内容加密保存，只有您、您的代理人和经授权并说明理由的工作人员可以查看，每次查看都会告诉您。' }),
    el('fieldset', {}, [
      el('legend', { text: '本人信息' }),
      Reg.field('name', '姓名 *', name),
      Reg.field('id_number', '身份证号 *', id),
      Reg.field('mobile', '手机号码 *', mobile),
      region.box
    ]),
    will.box,
    el('p', { class: 'notice error form-error', role: 'alert' }),
    el('div', { class: 'actions' }, [submit])
  ]);
  var result = el('div', { id: 'result', class: 'hidden' });
  app.appendChild(form);
  app.appendChild(result);

  function check() {
    var e = {};
    if (Reg.len(name.value) < 2 || Reg.len(name.value) > 30) e.name = '请填写姓名，2–30个字 (name, 2-30 characters)';
    var info = Reg.idInfo(id.value);
    if (!info.ok) e.id_number = info.reason;
    else if (info.age < 18) e.id_number = '生前预嘱仅限年满18周岁的本人登记 (adults only)';
    if (!Reg.mobileOk(mobile.value)) e.mobile = Reg.MOBILE_MSG;
    region.check(e);
    will.check(e);
    return e;
  }

  function done(data) {
    Reg.hide(form);
    Reg.clear(result);
    result.appendChild(el('div', { class: 'notice' }, [
      el('strong', { text: '您的生前预嘱已登记。' }),
      el('p', {}, ['编号：', el('strong', { id: 'reg-number', text: data.number }), data.version ? '（第 ' + data.version + ' 版）' : ''])
    ]));
    result.appendChild(Reg.codeNotice('您本人的查询码（只显示这一次）', data.access_code, 'access-code'));
    var codes = data.proxy_codes || [];
    if (codes.length) {
      result.appendChild(el('div', { class: 'notice warn', id: 'proxy-codes' }, [
        el('strong', { text: '代理人查阅码（只显示这一次）' }),
        el('p', { text: '请把编号和各自的查阅码交给每位代理人。代理人凭编号和查阅码可以查看您当前的生前预嘱，每次查看都会记录并告诉您。' }),
        el('ul', {}, codes.map(function (c) {
          return el('li', {}, [el('span', { text: c.name + '：' }), el('span', { class: 'code', text: Reg.formatCode(c.code) })]);
        }))
      ]));
    }
    result.appendChild(el('div', { class: 'actions no-print' }, [
      el('a', { class: 'button secondary', href: '/registry/my.html?tab=will', text: '查看、修改或打印' })
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
    var v = will.value();
    var b = {
      name: name.value.trim(), id_number: id.value.trim().toUpperCase(), mobile: mobile.value.trim(),
      region: region.value(), wishes: v.wishes, signed_on: v.signed_on, witnesses: v.witnesses
    };
    Reg.busy(submit, true);
    Reg.api('POST', '/api/registry/wills', b).then(function (r) {
      Reg.busy(submit, false);
      if (r.ok) done(r.data); else Reg.showErrors(form, r.error);
    });
  });
})();
