/* staff.js - staff workspace: login (with one-time code when asked),
 * donor search with filters, detail, CSV export, the follow-up queue and
 * reading a living will with a reason. Every request but GET carries the
 * session's X-CSRF-Token (Reg.csrf), from the login answer or /api/auth/me.
 * An ID number and a reason for reading a will only ever travel in a POST
 * body: in a URL they would be written to nginx's and proxies' access logs. */
(function () {
  'use strict';

  var Reg = window.Reg, el = Reg.el;
  var app = Reg.$('#app');
  var user = null;

  /* ---- login ------------------------------------------------------------- */

  var uname = Reg.input('text', { autocomplete: 'username', autocapitalize: 'off', spellcheck: 'false', maxlength: 64 });
  var pw = Reg.input('password', { autocomplete: 'current-password', maxlength: 128 });
  var totp = Reg.input('text', { autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6 });
  var totpBox = Reg.field('totp', '动态验证码', totp, '打开身份验证器应用，输入6位数字');
  totpBox.classList.add('hidden');
  var loginBtn = el('button', { type: 'submit', text: '登录' });
  var loginForm = el('form', { id: 'login-form', class: 'hidden', novalidate: true }, [
    el('fieldset', {}, [
      el('legend', { text: '工作人员登录' }),
      Reg.field('username', '用户名', uname),
      Reg.field('password', '密码', pw),
      totpBox,
      el('p', { class: 'notice error form-error', role: 'alert' }),
      el('div', { class: 'actions' }, [loginBtn])
    ])
  ]);
  var work = el('div', { id: 'workspace', class: 'hidden' });
  app.appendChild(loginForm);
  app.appendChild(work);

  loginForm.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var e = {};
    if (!uname.value.trim()) e.username = '请填写用户名 (username is required)';
    if (!pw.value) e.password = '请填写密码 (password is required)';
    if (Object.keys(e).length) { Reg.fail(loginForm, e); return; }
    var b = { username: uname.value.trim(), password: pw.value };
    if (totp.value.trim()) b.totp = totp.value.trim();
    Reg.busy(loginBtn, true);
    Reg.api('POST', '/api/auth/login', b).then(function (r) {
      Reg.busy(loginBtn, false);
      if (!r.ok) {
        if (r.error.code === 'totp_required') Reg.show(totpBox);
        Reg.showErrors(loginForm, r.error);
        return;
      }
      pw.value = '';
      totp.value = '';
      signedIn(r.data);
    });
  });

  function signedOut() {
    user = null;
    Reg.csrf = null;
    Reg.hide(work);
    Reg.show(loginForm);
  }

  /* A staff call; a 401 (session ended) goes back to the login form. */
  function call(method, path, body) {
    return Reg.api(method, path, body).then(function (r) {
      if (r.status === 401) {
        signedOut();
        Reg.$('.form-error', loginForm).textContent = '登录已过期，请重新登录 (session ended)';
      }
      return r;
    });
  }

  function can(p) { return user && (user.permissions || []).indexOf(p) >= 0; }

  /* ---- workspace ---------------------------------------------------------------- */

  var panels = {}, tabs = {};

  function signedIn(data) {
    user = data.user;
    Reg.csrf = data.csrf_token;
    Reg.hide(loginForm);
    Reg.clear(work);
    var scope = (user.regions || []).length ? user.regions.map(function (g) { return g.name; }).join('、') : '全国';
    var logout = el('button', { type: 'button', class: 'secondary', id: 'logout', text: '退出登录' });
    logout.addEventListener('click', function () {
      call('POST', '/api/auth/logout').then(function () { signedOut(); });
    });
    work.appendChild(el('div', { class: 'notice', id: 'whoami' }, [
      el('strong', { text: user.display_name || user.username }),
      ' · ' + (user.role_label || user.role) + ' · 负责地区：' + scope, ' ', logout
    ]));
    if (!can('registry.read')) {
      work.appendChild(el('p', { class: 'notice error', text: '您的账号没有查阅器官捐献登记的权限 (registry.read)。' }));
      Reg.show(work);
      return;
    }
    var bar = el('div', { class: 'tabs', role: 'tablist' });
    var list = [['search', '登记查询'], ['followups', '随访队列']];
    if (can('registry.will.read')) list.push(['wills', '生前预嘱查阅']);
    panels = {};
    tabs = {};
    list.forEach(function (t) {
      tabs[t[0]] = el('button', { type: 'button', role: 'tab', id: 'tab-' + t[0], text: t[1], onclick: function () { selectTab(t[0]); } });
      panels[t[0]] = el('section', { id: 'panel-' + t[0], role: 'tabpanel' });
      bar.appendChild(tabs[t[0]]);
    });
    work.appendChild(bar);
    Object.keys(panels).forEach(function (k) { work.appendChild(panels[k]); });
    buildSearch(panels.search);
    buildFollowups(panels.followups);
    if (panels.wills) buildWills(panels.wills);
    selectTab('search');
    Reg.show(work);
  }

  function selectTab(name) {
    Object.keys(panels).forEach(function (k) {
      tabs[k].setAttribute('aria-selected', String(k === name));
      Reg.show(panels[k], k === name);
    });
    if (name === 'followups' && panels.followups.reload) panels.followups.reload();
  }

  /* ---- search, detail, CSV ----------------------------------------------------------- */

  var LABELS = {
    number: '登记号', status: '状态', name: '姓名', id_number: '身份证号', age: '年龄', gender: '性别',
    ethnicity: '民族', mobile: '手机号码', region: '地区代码', region_name: '地区', donation: '捐献意愿',
    emergency_contact: '紧急联系人', guardian: '监护人', registered_at: '登记时间', withdrawn_at: '撤回时间',
    withdraw_reason: '撤回原因', updated_at: '更新时间', superseded_by: '已重新登记为'
  };

  function show(k, v) {
    if (v === null || v === undefined) return '';
    if (k === 'status') return Reg.STATUS[v] || v;
    if (k === 'gender') return Reg.GENDER[v] || v;
    if (k === 'donation') return Reg.donationText(v);
    if (/_at$/.test(k)) return Reg.fmtTime(v);
    if (typeof v === 'object' && !Array.isArray(v)) {
      return [v.name, v.relation, v.mobile].filter(Boolean).join(' · ') || JSON.stringify(v);
    }
    if (Array.isArray(v)) return v.length + ' 项';
    return String(v);
  }

  function buildSearch(panel) {
    var number = Reg.input('text', { spellcheck: 'false', maxlength: 20, placeholder: 'D530502-XXXXXXXX' });
    var idn = Reg.input('text', { spellcheck: 'false', maxlength: 18, autocomplete: 'off' });
    var status = Reg.select([['active', '有效'], ['withdrawn', '已撤回']], {}, '全部状态');
    var region = Reg.regionPicker('region', '地区', { minLevel: 1 });
    var from = Reg.input('date');
    var to = Reg.input('date');
    var btn = el('button', { type: 'submit', text: '查询' });
    var csv = el('button', { type: 'button', class: 'secondary', id: 'csv-export', text: '导出 CSV' });
    var csvNote = el('p', { class: 'hint', id: 'csv-status', 'aria-live': 'polite' });
    var form = el('form', { id: 'search-form', novalidate: true }, [
      el('fieldset', {}, [
        el('legend', { text: '查询条件' }),
        el('div', { class: 'row' }, [Reg.field('number', '登记号', number), Reg.field('id_number', '身份证号', idn)]),
        Reg.field('status', '状态', status),
        region.box,
        el('div', { class: 'row' }, [Reg.field('from', '登记日期 从', from), Reg.field('to', '至', to)]),
        el('p', { class: 'notice error form-error', role: 'alert' }),
        el('div', { class: 'actions' }, [btn, csv]),
        csvNote
      ])
    ]);
    var results = el('div', { id: 'search-results' });
    var detail = el('div', { id: 'donor-detail' });
    panel.appendChild(form);
    panel.appendChild(results);
    panel.appendChild(detail);
    var page = 1;

    /* The filters as an object of strings; id_number only for a POST body. */
    function filters(p) {
      var f = {};
      if (number.value.trim()) f.number = number.value.trim().toUpperCase();
      if (idn.value.trim()) f.id_number = idn.value.trim().toUpperCase();
      if (status.value) f.status = status.value;
      if (region.value()) f.region = region.value();
      if (from.value) f.from = from.value;
      if (to.value) f.to = to.value;
      if (p) f.page = String(p);
      return f;
    }
    function checked() {
      var e = {};
      if (idn.value.trim()) { var info = Reg.idInfo(idn.value); if (!info.ok) e.id_number = info.reason; }
      if (from.value && to.value && from.value > to.value) e.to = '结束日期不能早于开始日期 (to is before from)';
      if (Object.keys(e).length) { Reg.fail(form, e); return false; }
      Reg.clearErrors(form);
      return true;
    }

    function run(p) {
      if (!checked()) return;
      var f = filters(p);
      Reg.busy(btn, true);
      /* by ID number: POST, so that the number stays out of every URL */
      (f.id_number ? call('POST', '/api/registry/staff/donors/search', f)
        : call('GET', '/api/registry/staff/donors?' + new URLSearchParams(f).toString())).then(function (r) {
        Reg.busy(btn, false);
        Reg.clear(results);
        if (!r.ok) { Reg.showErrors(form, r.error); return; }
        page = r.data.page || p;
        var items = r.data.items || [];
        results.appendChild(el('h3', { text: '查询结果（第 ' + page + ' 页）' }));
        if (!items.length) { results.appendChild(el('p', { id: 'no-results', text: '没有符合条件的登记。' })); return; }
        var cols = ['number', 'name', 'id_number', 'age', 'gender', 'region_name', 'status', 'registered_at'];
        results.appendChild(el('table', { class: 'list', id: 'results-table' }, [
          el('thead', {}, [el('tr', {}, cols.map(function (c) { return el('th', { text: LABELS[c] }); }))]),
          el('tbody', {}, items.map(function (it) {
            var tr = el('tr', { class: 'clickable', tabindex: 0, 'data-number': it.number },
              cols.map(function (c) { return el('td', { 'data-label': LABELS[c], text: show(c, it[c]) }); }));
            tr.addEventListener('click', function () { openDetail(it.number); });
            tr.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') openDetail(it.number); });
            return tr;
          }))
        ]));
        var nav = el('div', { class: 'actions' });
        if (page > 1) nav.appendChild(el('button', { type: 'button', class: 'secondary', text: '上一页', onclick: function () { run(page - 1); } }));
        if (r.data.more) nav.appendChild(el('button', { type: 'button', class: 'secondary', text: '下一页', onclick: function () { run(page + 1); } }));
        results.appendChild(nav);
      });
    }
    form.addEventListener('submit', function (ev) { ev.preventDefault(); run(1); });

    /* CSV export: POST with the filters in the body (an ID number too), the
     * file handed to the browser as a download from memory. */
    function exportCsv() {
      if (!checked()) return;
      csvNote.textContent = '';
      Reg.busy(csv, true);
      var headers = { Accept: 'text/csv, application/json', 'Content-Type': 'application/json' };
      if (Reg.csrf) headers['X-CSRF-Token'] = Reg.csrf;
      fetch('/api/registry/staff/donors.csv', {
        method: 'POST', credentials: 'same-origin', headers: headers, body: JSON.stringify(filters())
      }).then(function (res) {
        if (res.ok) return res.blob().then(function (b) { return { ok: true, blob: b }; });
        return res.text().then(function (t) {
          var data = null;
          try { data = JSON.parse(t); } catch (e) { data = null; }
          return { ok: false, status: res.status, error: (data && data.error) ||
            { code: 'http_' + res.status, message: '导出失败，请稍后再试 (HTTP ' + res.status + ')', fields: {} } };
        });
      }, function () {
        return { ok: false, status: 0, error: { code: 'network', message: '网络连接失败，请检查网络后重试 (network error)', fields: {} } };
      }).then(function (r) {
        Reg.busy(csv, false);
        if (!r.ok) {
          if (r.status === 401) { signedOut(); Reg.$('.form-error', loginForm).textContent = '登录已过期，请重新登录 (session ended)'; return; }
          Reg.showErrors(form, r.error);
          return;
        }
        return r.blob.text().then(function (text) {
          var rows = text.split('\r\n').filter(Boolean).length - 1;
          var url = URL.createObjectURL(r.blob);
          var a = el('a', { href: url, download: 'donors.csv', class: 'hidden' });
          document.body.appendChild(a);
          a.click();
          document.body.removeChild(a);
          setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
          csvNote.textContent = '已导出 ' + rows + ' 条登记（donors.csv，姓名、身份证号和手机号已部分隐藏）';
        });
      });
    }
    csv.addEventListener('click', exportCsv);

    function openDetail(num) {
      Reg.clear(detail);
      call('GET', '/api/registry/staff/donors/' + encodeURIComponent(num)).then(function (r) {
        Reg.clear(detail);
        if (!r.ok) { detail.appendChild(el('p', { class: 'notice error', text: r.error.message })); return; }
        var d = r.data || {};
        var rows = Object.keys(LABELS).filter(function (k) { return d[k] !== undefined; })
          .map(function (k) { return [LABELS[k], show(k, d[k]), k]; });
        Object.keys(d).forEach(function (k) {
          if (!LABELS[k] && d[k] !== null && typeof d[k] !== 'object' && k !== 'request_id') rows.push([k, String(d[k]), k]);
        });
        detail.appendChild(el('h3', { text: '登记详情 ' + (d.number || num) }));
        detail.appendChild(el('p', { class: 'hint', text: '本次查阅已记入审计日志。身份证号和手机号只显示部分。' }));
        detail.appendChild(Reg.kv(rows));
        if (d.earlier && d.earlier.length) {
          detail.appendChild(el('h4', { text: '同一人的其他登记' }));
          detail.appendChild(el('ul', { id: 'earlier' }, d.earlier.map(function (x) {
            var b = el('button', { type: 'button', class: 'secondary', text: x.number, onclick: function () { openDetail(x.number); } });
            return el('li', {}, [b, ' · ' + [Reg.STATUS[x.status] || x.status, '登记于 ' + Reg.fmtTime(x.registered_at),
              x.withdrawn_at ? '撤回于 ' + Reg.fmtTime(x.withdrawn_at) : ''].filter(Boolean).join(' · ')]);
          })));
        }
        if (d.followups && d.followups.length) {
          detail.appendChild(el('h4', { text: '随访' }));
          detail.appendChild(el('ul', {}, d.followups.map(function (f) {
            return el('li', { text: [followupType(f.type), f.to, f.reason, f.state === 'done' ? '已完成' : '待处理',
              Reg.fmtTime(f.created_at)].filter(Boolean).join(' · ') });
          })));
        }
        if (d.revisions && d.revisions.length) {
          detail.appendChild(el('ul', {}, d.revisions.map(function (v) {
            return el('li', { text: '第 ' + v.revision + ' 版 · ' + Reg.fmtTime(v.at) + ' · ' + (Reg.REVISION[v.what] || v.what) });
          })));
        }
        detail.scrollIntoView({ block: 'start' });
      });
    }
    panel.openDetail = openDetail;
  }

  /* ---- follow-up queue --------------------------------------------------------------------- */

  var FOLLOWUP_TYPES = { assign: '指派跟进', notify: '通知', review: '人工审核' };
  function followupType(t) { return FOLLOWUP_TYPES[t] || t; }

  function buildFollowups(panel) {
    var state = Reg.select([['open', '待处理'], ['done', '已完成']], { id: 'followup-state' });
    var list = el('div', { id: 'followup-list' });
    panel.appendChild(Reg.field('state', '显示', state));
    panel.appendChild(list);
    state.addEventListener('change', reload);
    function reload() {
      call('GET', '/api/registry/staff/followups?state=' + encodeURIComponent(state.value)).then(function (r) {
        Reg.clear(list);
        if (!r.ok) { list.appendChild(el('p', { class: 'notice error', text: r.error.message })); return; }
        var items = (r.data && r.data.items) || [];
        if (!items.length) { list.appendChild(el('p', { text: '队列为空。' })); return; }
        items.forEach(function (f) {
          var rows = [['编号', f.id], ['登记号', f.number], ['类型', followupType(f.type || f.action)],
            ['说明', f.message || f.note || f.detail || f.reason], ['地区', f.region_name || f.region],
            ['指派给', f.assignee || f.assign_to || f.to], ['来源', f.source], ['创建时间', Reg.fmtTime(f.created_at || f.at)],
            ['完成时间', Reg.fmtTime(f.done_at)], ['完成人', f.done_by]];
          var item = el('div', { class: 'notice followup', 'data-id': f.id }, [Reg.kv(rows), el('p', { class: 'err', role: 'alert' })]);
          if (state.value === 'open') {
            var b = el('button', { type: 'button', text: '标记为已完成' });
            b.addEventListener('click', function () {
              Reg.busy(b, true);
              call('POST', '/api/registry/staff/followups/' + encodeURIComponent(f.id) + '/done').then(function (res) {
                Reg.busy(b, false);
                if (!res.ok) { item.querySelector('.err').textContent = res.error.message; return; }
                reload();
              });
            });
            item.appendChild(b);
          }
          list.appendChild(item);
        });
      });
    }
    panel.reload = reload;
  }

  /* ---- living will read with a reason --------------------------------------------------------------- */

  function buildWills(panel) {
    var number = Reg.input('text', { spellcheck: 'false', maxlength: 20, placeholder: 'W530502-XXXXXXXX' });
    var reason = el('textarea', { rows: 2, maxlength: 200 });
    var btn = el('button', { type: 'submit', text: '查阅' });
    var out = el('div', { id: 'staff-will' });
    var form = el('form', { id: 'staff-will-form', novalidate: true }, [
      el('fieldset', {}, [
        el('legend', { text: '查阅生前预嘱' }),
        el('p', { class: 'hint', text: '查阅理由会记入审计日志，并显示给登记人本人。' }),
        Reg.field('number', '编号', number),
        Reg.field('reason', '查阅理由（4–200字）', reason),
        el('p', { class: 'notice error form-error', role: 'alert' }),
        el('div', { class: 'actions' }, [btn])
      ])
    ]);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var e = {};
      if (!number.value.trim()) e.number = '请填写编号 (number is required)';
      var n = Reg.len(reason.value);
      if (n < 4 || n > 200) e.reason = '请填写查阅理由，4–200个字 (reason, 4-200 characters)';
      if (Object.keys(e).length) { Reg.fail(form, e); return; }
      Reg.busy(btn, true);
      /* the reason goes in the body: the registrant sees it, access logs never do */
      call('POST', '/api/registry/staff/wills/' + encodeURIComponent(number.value.trim().toUpperCase()) + '/read',
        { reason: reason.value.trim() }).then(function (r) {
        Reg.busy(btn, false);
        Reg.clear(out);
        if (!r.ok) { Reg.showErrors(form, r.error); return; }
        Reg.clearErrors(form);
        out.appendChild(Reg.willDoc(r.data, number.value.trim().toUpperCase()));
      });
    });
    panel.appendChild(form);
    panel.appendChild(out);
  }

  /* ---- start: an existing session carries on after a reload ------------------------------------------ */

  Reg.api('GET', '/api/auth/me').then(function (r) {
    if (r.ok) signedIn(r.data); else signedOut();
  });
})();
