/* my.js - look up, amend and withdraw a donor registration; look up,
 * update, revoke and print a living will and see who read it; a proxy's
 * view of a living will. The ID number and access code stay in memory for
 * the follow-up requests and are never stored. */
(function () {
  'use strict';

  var Reg = window.Reg, el = Reg.el;
  var app = Reg.$('#app');

  /* ---- tabs ------------------------------------------------------------------- */

  var panels = {}, tabs = {};
  var tabBar = el('div', { class: 'tabs', role: 'tablist' });
  [['donor', '器官捐献登记'], ['will', '生前预嘱'], ['proxy', '我是代理人']].forEach(function (t) {
    tabs[t[0]] = el('button', { type: 'button', role: 'tab', id: 'tab-' + t[0], text: t[1],
      onclick: function () { select(t[0]); } });
    panels[t[0]] = el('section', { id: 'panel-' + t[0], role: 'tabpanel' });
    tabBar.appendChild(tabs[t[0]]);
  });
  function select(name) {
    Object.keys(panels).forEach(function (k) {
      tabs[k].setAttribute('aria-selected', String(k === name));
      Reg.show(panels[k], k === name);
    });
  }
  app.appendChild(tabBar);
  Object.keys(panels).forEach(function (k) { app.appendChild(panels[k]); });

  /* ID number + access code form; ON_OK(creds, data) on success. */
  function credForm(prefix, path, label, onOk) {
    var id = Reg.input('text', { autocomplete: 'off', maxlength: 18, spellcheck: 'false' });
    var code = Reg.input('text', { autocomplete: 'off', maxlength: 14, spellcheck: 'false', placeholder: 'XXXX-XXXX-XXXX' });
    var btn = el('button', { type: 'submit', text: label });
    var form = el('form', { id: prefix + '-lookup', novalidate: true }, [
      el('fieldset', {}, [
        el('legend', { text: '身份验证' }),
        Reg.field('id_number', '身份证号', id),
        Reg.field('access_code', '查询码', code, '登记成功时显示的12位查询码，不区分大小写，可省略短横线'),
        el('p', { class: 'notice error form-error', role: 'alert' }),
        el('div', { class: 'actions' }, [btn])
      ])
    ]);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var e = {};
      var info = Reg.idInfo(id.value);
      if (!info.ok) e.id_number = info.reason;
      if (!Reg.codeOk(code.value)) e.access_code = '查询码为12位字母和数字 (12 characters)';
      if (Reg.clientChecks && Object.keys(e).length) { Reg.fail(form, e); return; }
      var creds = { id_number: id.value.trim().toUpperCase(), access_code: code.value.trim() };
      Reg.busy(btn, true);
      Reg.api('POST', path, creds).then(function (r) {
        Reg.busy(btn, false);
        if (!r.ok) {
          if (r.error.code === 'not_found') {
            r.error.message = '身份证号或查询码不正确 (no match for this ID number and access code)';
          }
          Reg.showErrors(form, r.error);
          return;
        }
        Reg.clearErrors(form);
        onOk(creds, r.data, form);
      });
    });
    return form;
  }

  /* Server errors for "changes.x" belong to the field "x". */
  function unprefix(error) {
    var f = {};
    Object.keys(error.fields || {}).forEach(function (k) { f[k.replace(/^changes\./, '')] = error.fields[k]; });
    error.fields = f;
    return error;
  }

  /* A button that asks once more before running ACTION. */
  function confirmButton(label, question, action) {
    var go = el('button', { type: 'button', class: 'danger', text: label });
    var yes = el('button', { type: 'button', class: 'danger', text: '确认' + label });
    var no = el('button', { type: 'button', class: 'secondary', text: '取消' });
    var ask = el('div', { class: 'notice warn hidden' }, [el('p', { text: question }), el('div', { class: 'actions' }, [yes, no])]);
    go.addEventListener('click', function () { Reg.show(ask); Reg.hide(go); });
    no.addEventListener('click', function () { Reg.hide(ask); Reg.show(go); });
    yes.addEventListener('click', function () { action(yes); });
    return el('div', { class: 'confirm' }, [go, ask]);
  }

  /* ---- donor registration ----------------------------------------------------------- */

  var donorOut = el('div', { id: 'donor-result' });
  panels.donor.appendChild(credForm('donor', '/api/registry/donors/lookup', '查询我的登记', function (creds, data, form) {
    Reg.hide(form);
    showDonor(creds, data);
  }));
  panels.donor.appendChild(donorOut);

  var WHAT = Reg.REVISION;

  function showDonor(creds, d) {
    Reg.clear(donorOut);
    var withdrawn = d.status === 'withdrawn';
    donorOut.appendChild(el('h2', { text: '我的器官捐献登记' }));
    donorOut.appendChild(el('p', { class: 'notice' + (withdrawn ? ' warn' : '') }, [
      '登记状态：', el('strong', { id: 'donor-status', text: Reg.STATUS[d.status] || d.status })]));
    var ec = d.emergency_contact || {};
    donorOut.appendChild(Reg.kv([
      ['登记号', d.number, 'number'], ['姓名', d.name], ['身份证号', d.id_number],
      ['年龄', d.age !== undefined ? d.age + '岁' : ''], ['性别', Reg.GENDER[d.gender] || d.gender], ['民族', d.ethnicity],
      ['手机号码', d.mobile], ['所在地区', d.region_name || d.region], ['捐献意愿', Reg.donationText(d.donation)],
      ['紧急联系人', [ec.name, ec.relation, ec.mobile].filter(Boolean).join(' · ')],
      ['登记时间', Reg.fmtTime(d.registered_at)], ['撤回时间', Reg.fmtTime(d.withdrawn_at)]
    ]));
    if (d.card) {
      donorOut.appendChild(Reg.donorCard(d.card, d.name, d.status));
      donorOut.appendChild(el('div', { class: 'actions no-print' }, [Reg.printButton('打印登记卡')]));
    }
    if (d.revisions && d.revisions.length) {
      donorOut.appendChild(el('h3', { text: '变更记录' }));
      donorOut.appendChild(el('ul', { id: 'revisions' }, d.revisions.map(function (r) {
        return el('li', { text: '第 ' + r.revision + ' 版 · ' + Reg.fmtTime(r.at) + ' · ' + (WHAT[r.what] || r.what) });
      })));
    }
    if (!withdrawn) {
      donorOut.appendChild(amendForm(creds, d));
      donorOut.appendChild(withdrawForm(creds));
    }
  }

  function amendForm(creds, d) {
    var mobile = Reg.input('tel', { inputmode: 'numeric', maxlength: 11, placeholder: (d.mobile || '') + '（不修改请留空）' });
    var eth = Reg.select(Reg.ETHNICITIES, {}, '请选择民族');
    eth.value = d.ethnicity || '';
    var region = Reg.regionPicker('region', '所在地区');
    region.set(d.region);
    var donation = Reg.donationFieldset();
    donation.set(d.donation);
    var contact = Reg.contactFields('emergency_contact');
    var changeContact = Reg.checkbox('change_contact', '更换紧急联系人');
    var contactBox = el('div', { class: 'hidden' }, [contact.box]);
    changeContact.querySelector('input').addEventListener('change', function (ev) { Reg.show(contactBox, ev.target.checked); });
    var btn = el('button', { type: 'submit', text: '保存修改' });
    var form = el('form', { id: 'donor-amend', novalidate: true }, [
      el('h3', { text: '修改登记' }),
      el('fieldset', {}, [el('legend', { text: '联系方式与地区' }), Reg.field('mobile', '手机号码', mobile), Reg.field('ethnicity', '民族', eth), region.box]),
      donation.box,
      el('fieldset', { 'data-field': 'emergency_contact' }, [el('legend', { text: '紧急联系人' }), changeContact, contactBox]),
      el('p', { class: 'notice error form-error', role: 'alert' }),
      el('div', { class: 'actions' }, [btn])
    ]);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var changes = {}, e = {};
      if (mobile.value.trim()) {
        if (!Reg.mobileOk(mobile.value)) e.mobile = Reg.MOBILE_MSG; else changes.mobile = mobile.value.trim();
      }
      if (eth.value && eth.value !== d.ethnicity) changes.ethnicity = eth.value;
      if (region.value() && region.value() !== d.region) { region.check(e); changes.region = region.value(); }
      var dv = donation.value();
      donation.check(e);
      if (JSON.stringify(dv) !== JSON.stringify({ all_organs: !!(d.donation || {}).all_organs,
        organs: (d.donation || {}).organs || [], body: !!(d.donation || {}).body })) changes.donation = dv;
      if (changeContact.querySelector('input').checked) { contact.check(e); changes.emergency_contact = contact.value(); }
      if (Reg.clientChecks && Object.keys(e).length) { Reg.fail(form, e); return; }
      if (!Object.keys(changes).length) {
        Reg.fail(form, {});
        Reg.$('.form-error', form).textContent = '没有需要保存的修改 (nothing changed)';
        return;
      }
      Reg.busy(btn, true);
      Reg.api('POST', '/api/registry/donors/amend', Object.assign({ changes: changes }, creds)).then(function (r) {
        Reg.busy(btn, false);
        if (!r.ok) { Reg.showErrors(form, unprefix(r.error)); return; }
        showDonor(creds, r.data);
        donorOut.insertBefore(el('p', { class: 'notice', text: '修改已保存。' }), donorOut.firstChild);
      });
    });
    return form;
  }

  function withdrawForm(creds) {
    var reason = el('textarea', { rows: 2, maxlength: 200 });
    var box = el('form', { id: 'donor-withdraw', novalidate: true }, [
      el('h3', { text: '撤回登记' }),
      el('p', { text: '撤回后立即生效，您的登记卡将核验为“已撤回”。撤回无需理由；日后如需再次登记，可重新填写登记表，将获得新的登记号和查询码。' }),
      Reg.field('reason', '撤回原因（可选）', reason),
      el('p', { class: 'notice error form-error', role: 'alert' })
    ]);
    box.appendChild(confirmButton('撤回登记', '确定要撤回您的器官捐献志愿登记吗？', function (btn) {
      Reg.busy(btn, true);
      var b = Object.assign({}, creds);
      if (reason.value.trim()) b.reason = reason.value.trim();
      Reg.api('POST', '/api/registry/donors/withdraw', b).then(function (r) {
        Reg.busy(btn, false);
        if (!r.ok) { Reg.showErrors(box, r.error); return; }
        showDonor(creds, r.data);
        donorOut.insertBefore(el('p', { class: 'notice', id: 'withdrawn-notice', text: '您的登记已撤回。感谢您曾经的爱心。' }), donorOut.firstChild);
      });
    }));
    return box;
  }

  /* ---- living will -------------------------------------------------------------------------- */

  var willOut = el('div', { id: 'will-result' });
  panels.will.appendChild(credForm('will', '/api/registry/wills/lookup', '查看我的生前预嘱', function (creds, data, form) {
    Reg.hide(form);
    showWill(creds, data);
  }));
  panels.will.appendChild(willOut);

  function showWill(creds, w, note) {
    Reg.clear(willOut);
    if (note) willOut.appendChild(el('p', { class: 'notice', text: note }));
    willOut.appendChild(el('p', { class: 'notice' + (w.status === 'revoked' ? ' warn' : '') }, [
      '状态：', el('strong', { id: 'will-status', text: Reg.STATUS[w.status] || w.status })]));
    willOut.appendChild(Reg.willDoc(w));
    willOut.appendChild(el('div', { class: 'actions no-print' }, [Reg.printButton('打印当前版本')]));

    willOut.appendChild(el('h3', { text: '谁查看了我的生前预嘱' }));
    var reads = w.reads || [];
    willOut.appendChild(reads.length ? el('table', { class: 'list', id: 'will-reads' }, [
      el('thead', {}, [el('tr', {}, [el('th', { text: '时间' }), el('th', { text: '查看人' }), el('th', { text: '理由' })])]),
      el('tbody', {}, reads.map(function (r) {
        return el('tr', {}, [el('td', { 'data-label': '时间', text: Reg.fmtTime(r.at) }),
          el('td', { 'data-label': '查看人', text: r.who }), el('td', { 'data-label': '理由', text: r.reason || '' })]);
      }))
    ]) : el('p', { id: 'will-reads', text: '暂无他人查看记录。' }));

    if (w.versions && w.versions.length) {
      willOut.appendChild(el('h3', { text: '历史版本' }));
      willOut.appendChild(el('ul', {}, w.versions.map(function (v) {
        return el('li', { text: '第 ' + v.version + ' 版 · ' + Reg.fmtTime(v.at) });
      })));
    }
    if (w.status !== 'revoked') {
      willOut.appendChild(updateForm(creds, w));
      var rv = el('div', { id: 'will-revoke', class: 'no-print' }, [
        el('h3', { text: '撤销生前预嘱' }),
        el('p', { text: '撤销后，代理人和工作人员将无法再查看，医疗机构将不再依据它。日后如需要，可重新订立一份新的生前预嘱（新的编号和查询码）。' }),
        el('p', { class: 'notice error form-error', role: 'alert' })
      ]);
      rv.appendChild(confirmButton('撤销', '确定要撤销您的生前预嘱吗？', function (btn) {
        Reg.busy(btn, true);
        Reg.api('POST', '/api/registry/wills/revoke', creds).then(function (r) {
          Reg.busy(btn, false);
          if (!r.ok) { Reg.showErrors(rv, r.error); return; }
          reload(creds, '您的生前预嘱已撤销。', r.data);
        });
      }));
      willOut.appendChild(rv);
    }
  }

  /* After a change, show the answer when it is a full version, else look up again. */
  function reload(creds, note, data) {
    if (data && data.wishes && data.reads) { showWill(creds, data, note); return; }
    Reg.api('POST', '/api/registry/wills/lookup', creds).then(function (r) {
      if (r.ok) showWill(creds, r.data, note);
    });
  }

  function updateForm(creds, w) {
    var f = Reg.willFields();
    f.set(w);
    var btn = el('button', { type: 'submit', text: '保存为新版本' });
    var form = el('form', { id: 'will-update', class: 'no-print', novalidate: true }, [
      el('h3', { text: '修改我的五个愿望' }),
      el('p', { class: 'hint', text: '保存后生成新版本，以前的版本会保留。代理人的查阅码不变；新增的代理人会得到新的查阅码。' }),
      f.box,
      el('p', { class: 'notice error form-error', role: 'alert' }),
      el('div', { class: 'actions' }, [btn])
    ]);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var e = {};
      f.check(e);
      if (Reg.clientChecks && Object.keys(e).length) { Reg.fail(form, e); return; }
      Reg.busy(btn, true);
      Reg.api('POST', '/api/registry/wills/update', Object.assign({}, creds, f.value())).then(function (r) {
        Reg.busy(btn, false);
        if (!r.ok) { Reg.showErrors(form, r.error); return; }
        var note = '已保存为第 ' + (r.data && r.data.version ? r.data.version : '') + ' 版。';
        var codes = (r.data && r.data.proxy_codes) || [];
        if (codes.length) note += ' 新代理人查阅码（只显示这一次）：' + codes.map(function (c) { return c.name + ' ' + c.code; }).join('，');
        reload(creds, note, r.data);
      });
    });
    return form;
  }

  /* ---- proxy ------------------------------------------------------------------------------------ */

  (function () {
    var number = Reg.input('text', { autocomplete: 'off', maxlength: 20, spellcheck: 'false', placeholder: 'W530502-XXXXXXXX' });
    var code = Reg.input('text', { autocomplete: 'off', maxlength: 14, spellcheck: 'false', placeholder: 'XXXX-XXXX-XXXX' });
    var btn = el('button', { type: 'submit', text: '查看生前预嘱' });
    var out = el('div', { id: 'proxy-result' });
    var form = el('form', { id: 'proxy-lookup', novalidate: true }, [
      el('fieldset', {}, [
        el('legend', { text: '代理人查看' }),
        el('p', { class: 'hint', text: '您的查看会被记录，并告知生前预嘱的本人。' }),
        Reg.field('number', '生前预嘱编号', number),
        Reg.field('proxy_code', '代理人查阅码', code),
        el('p', { class: 'notice error form-error', role: 'alert' }),
        el('div', { class: 'actions' }, [btn])
      ])
    ]);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var e = {};
      if (!/^W\d{6}-[0-9A-Z]{8}$/i.test(number.value.trim())) e.number = '请填写生前预嘱编号，如 W530502-7KQ2M9XA (registration number)';
      if (!Reg.codeOk(code.value)) e.proxy_code = '查阅码为12位字母和数字 (12 characters)';
      if (Reg.clientChecks && Object.keys(e).length) { Reg.fail(form, e); return; }
      Reg.busy(btn, true);
      Reg.api('POST', '/api/registry/wills/proxy', { number: number.value.trim().toUpperCase(), proxy_code: code.value.trim() })
        .then(function (r) {
          Reg.busy(btn, false);
          Reg.clear(out);
          if (!r.ok) {
            if (r.error.code === 'not_found') r.error.message = '编号或查阅码不正确 (no match)';
            Reg.showErrors(form, r.error);
            return;
          }
          Reg.clearErrors(form);
          out.appendChild(Reg.willDoc(r.data, number.value.trim().toUpperCase()));
          out.appendChild(el('div', { class: 'actions no-print' }, [Reg.printButton('打印')]));
        });
    });
    panels.proxy.appendChild(form);
    panels.proxy.appendChild(out);
  })();

  select(Reg.param('tab') === 'will' ? 'will' : Reg.param('tab') === 'proxy' ? 'proxy' : 'donor');
})();
