/* common.js - what every registry page shares: same-origin JSON calls to
 * /api/ with the error envelope, field errors shown next to their fields
 * (dotted names such as "emergency_contact.mobile" or
 * "wishes.proxies.0.mobile"), the region cascade, resident ID checks and
 * small DOM helpers. No library, no build step; loaded with <script src>
 * because the site's Content-Security-Policy allows no inline script. */
(function () {
  'use strict';

  var Reg = window.Reg = {};

  /* Set by staff pages after login or /api/auth/me; sent on every request
   * other than GET/HEAD. Kept in memory only, never in storage. */
  Reg.csrf = null;

  /* The browser tests switch this off to see the server's own field errors. */
  Reg.clientChecks = true;

  Reg.ETHNICITIES = ['汉族', '蒙古族', '回族', '藏族', '维吾尔族', '苗族', '彝族', '壮族', '布依族',
    '朝鲜族', '满族', '侗族', '瑶族', '白族', '土家族', '哈尼族', '哈萨克族', '傣族', '黎族', '傈僳族',
    '佤族', '畲族', '高山族', '拉祜族', '水族', '东乡族', '纳西族', '景颇族', '柯尔克孜族', '土族',
    '达斡尔族', '仫佬族', '羌族', '布朗族', '撒拉族', '毛南族', '仡佬族', '锡伯族', '阿昌族', '普米族',
    '塔吉克族', '怒族', '乌孜别克族', '俄罗斯族', '鄂温克族', '德昂族', '保安族', '裕固族', '京族',
    '塔塔尔族', '独龙族', '鄂伦春族', '赫哲族', '门巴族', '珞巴族', '基诺族'];

  Reg.ORGANS = [['heart', '心脏'], ['lungs', '肺脏'], ['liver', '肝脏'], ['kidneys', '肾脏'],
    ['pancreas', '胰腺'], ['small_intestine', '小肠'], ['corneas', '眼角膜'], ['tissue', '组织']];

  Reg.RELATIONS = ['配偶', '父亲', '母亲', '子女', '兄弟姐妹', '其他亲属', '朋友', '其他'];

  Reg.STATUS = { active: '有效', withdrawn: '已撤回', revoked: '已撤销' };
  Reg.GENDER = { male: '男', female: '女', M: '男', F: '女' };
  Reg.REVISION = { registered: '登记', amended: '修改', withdrawn: '撤回' };

  /* ---- DOM ------------------------------------------------------------ */

  Reg.$ = function (sel, root) { return (root || document).querySelector(sel); };
  Reg.$$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  /* el('p', {class: 'x', text: 'y'}, [children]) - text only via textContent. */
  Reg.el = function (tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  };

  Reg.show = function (e, on) { if (e) e.classList.toggle('hidden', on === false); };
  Reg.hide = function (e) { Reg.show(e, false); };
  Reg.clear = function (e) { while (e && e.firstChild) e.removeChild(e.firstChild); };

  /* dl.kv from [[label, value], ...]; empty values are left out. */
  Reg.kv = function (rows, cls) {
    var dl = Reg.el('dl', { class: 'kv' + (cls ? ' ' + cls : '') });
    rows.forEach(function (r) {
      if (r[1] === undefined || r[1] === null || r[1] === '') return;
      dl.appendChild(Reg.el('dt', { text: r[0] }));
      var dd = Reg.el('dd');
      if (r[1] instanceof Node) dd.appendChild(r[1]); else dd.textContent = String(r[1]);
      if (r[2]) dd.setAttribute('data-key', r[2]);
      dl.appendChild(dd);
    });
    return dl;
  };

  Reg.param = function (name) {
    return new URLSearchParams(window.location.search).get(name);
  };

  Reg.today = function () {
    var d = new Date();
    return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' +
      String(d.getDate()).padStart(2, '0');
  };

  Reg.fmtTime = function (s) {
    if (!s) return '';
    var d = new Date(s);
    if (isNaN(d.getTime())) return String(s);
    return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' +
      String(d.getDate()).padStart(2, '0') + ' ' + String(d.getHours()).padStart(2, '0') + ':' +
      String(d.getMinutes()).padStart(2, '0');
  };

  /* ---- API -------------------------------------------------------------- */

  /* Resolves to {ok, status, data, error}; error is the envelope's error
   * object, or one made up for network failures and non-JSON answers. */
  Reg.api = function (method, path, body) {
    var opts = { method: method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    if (method !== 'GET' && method !== 'HEAD' && Reg.csrf) opts.headers['X-CSRF-Token'] = Reg.csrf;
    return fetch(path, opts).then(function (res) {
      var retry = res.headers.get('Retry-After');
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        var r = { ok: res.ok, status: res.status, data: data, error: null };
        if (!res.ok) {
          r.error = (data && data.error) || {
            code: 'http_' + res.status,
            message: '服务暂时不可用，请稍后再试 (HTTP ' + res.status + ')', fields: {}
          };
          if (!r.error.fields) r.error.fields = {};
          if (retry) r.error.retry_after = retry;
          r.request_id = data && data.request_id;
        }
        return r;
      });
    }, function () {
      return { ok: false, status: 0, data: null,
        error: { code: 'network', message: '网络连接失败，请检查网络后重试 (network error)', fields: {} } };
    });
  };

  /* ---- field errors ------------------------------------------------------- */

  /* The element that shows errors for a dotted field name: the closest
   * [data-field] in ROOT for the name or, failing that, for a shorter
   * prefix ("donation.organs" -> "donation"). */
  Reg.fieldBox = function (root, name) {
    var parts = String(name).split('.');
    while (parts.length) {
      var box = root.querySelector('[data-field="' + parts.join('.').replace(/"/g, '') + '"]');
      if (box) return box;
      parts.pop();
    }
    return null;
  };

  Reg.clearErrors = function (root) {
    Reg.$$('.err', root).forEach(function (e) { e.textContent = ''; });
    Reg.$$('.invalid', root).forEach(function (e) { e.classList.remove('invalid'); });
    Reg.$$('[aria-invalid]', root).forEach(function (e) { e.removeAttribute('aria-invalid'); });
    var n = Reg.$('.form-error', root);
    if (n) { n.textContent = ''; }
  };

  function errSlot(box) {
    var slot = null;
    for (var i = 0; i < box.children.length; i++) {
      if (box.children[i].classList.contains('err')) slot = box.children[i];
    }
    if (!slot) {
      slot = Reg.el('p', { class: 'err', role: 'alert' });
      box.appendChild(slot);
    }
    return slot;
  }

  /* Show ERROR (the envelope's error object) in ROOT: each fields entry next
   * to its field, the rest (and the message) in ROOT's .form-error. */
  Reg.showErrors = function (root, error) {
    Reg.clearErrors(root);
    var fields = (error && error.fields) || {};
    var leftover = [];
    var first = null;
    Object.keys(fields).forEach(function (name) {
      var box = Reg.fieldBox(root, name);
      if (!box) { leftover.push(fields[name]); return; }
      var slot = errSlot(box);
      slot.textContent = slot.textContent ? slot.textContent + '；' + fields[name] : fields[name];
      box.classList.add('invalid');
      var input = box.matches('input,select,textarea') ? box : box.querySelector('input,select,textarea');
      if (input) input.setAttribute('aria-invalid', 'true');
      if (!first) first = box;
    });
    var general = Reg.$('.form-error', root);
    if (general) {
      var msg = error && error.message ? error.message : '';
      if (error && error.code === 'too_many_attempts' && error.retry_after) {
        msg += '（请在 ' + Math.ceil(error.retry_after / 60) + ' 分钟后再试）';
      }
      general.textContent = [msg].concat(leftover).filter(Boolean).join(' ');
      if (!first && general.textContent) first = general;
    }
    if (first && first.scrollIntoView) first.scrollIntoView({ block: 'center' });
    var focus = first && first.querySelector && first.querySelector('input,select,textarea');
    if (focus) focus.focus({ preventScroll: true });
  };

  /* Client-side checks collect {field: message} and show them the same way. */
  Reg.fail = function (root, fields) {
    Reg.showErrors(root, { code: 'validation_failed', message: '请检查填写的内容', fields: fields });
  };

  /* Disable a submit button while a request runs. */
  Reg.busy = function (button, on) {
    if (!button) return;
    button.disabled = !!on;
    if (on) { button.dataset.label = button.textContent; button.textContent = '请稍候…'; }
    else if (button.dataset.label) button.textContent = button.dataset.label;
  };

  /* ---- checks --------------------------------------------------------------- */

  var ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var ID_CHECK = '10X98765432';

  /* PRC resident ID (GB 11643): {ok, reason, birth, age, gender}. */
  Reg.idInfo = function (raw) {
    var id = String(raw || '').trim().toUpperCase();
    if (!id) return { ok: false, reason: '请填写身份证号 (ID number is required)' };
    if (!/^\d{17}[\dX]$/.test(id)) return { ok: false, reason: '身份证号应为18位，最后一位可以是X (18 characters)' };
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += Number(id.charAt(i)) * ID_WEIGHTS[i];
    if (ID_CHECK.charAt(sum % 11) !== id.charAt(17)) {
      return { ok: false, reason: '身份证号校验位不正确，请核对 (check digit does not match)' };
    }
    var y = Number(id.substr(6, 4)), m = Number(id.substr(10, 2)), d = Number(id.substr(12, 2));
    var birth = new Date(y, m - 1, d);
    var now = new Date();
    if (birth.getFullYear() !== y || birth.getMonth() !== m - 1 || birth.getDate() !== d || birth > now || y < 1890) {
      return { ok: false, reason: '身份证号中的出生日期无效 (invalid birth date)' };
    }
    var age = now.getFullYear() - y;
    if (now.getMonth() < m - 1 || (now.getMonth() === m - 1 && now.getDate() < d)) age--;
    return { ok: true, id: id, age: age, gender: Number(id.charAt(16)) % 2 ? '男' : '女',
      birth: id.substr(6, 4) + '-' + id.substr(10, 2) + '-' + id.substr(12, 2) };
  };

  Reg.mobileOk = function (s) { return /^1[3-9]\d{9}$/.test(String(s || '').trim()); };
  Reg.MOBILE_MSG = '请填写11位手机号码 (mainland mobile number)';

  /* Access codes: 12 characters of the code alphabet, dashes and case ignored. */
  Reg.codeOk = function (s) {
    return /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}$/.test(String(s || '').replace(/[-\s]/g, '').toUpperCase());
  };

  Reg.len = function (s) { return Array.from(String(s || '').trim()).length; };

  /* ---- form building blocks --------------------------------------------------------- */

  var uid = 0;
  Reg.uid = function (p) { uid++; return (p || 'f') + uid; };

  /* A labelled field box: <div class=field data-field=NAME>. */
  Reg.field = function (name, label, input, hint) {
    if (!input.id) input.id = Reg.uid('in');
    if (!input.name) input.name = name;
    return Reg.el('div', { class: 'field', 'data-field': name }, [
      Reg.el('label', { for: input.id, text: label }),
      hint ? Reg.el('span', { class: 'hint', text: hint }) : null,
      input,
      Reg.el('p', { class: 'err', role: 'alert' })
    ]);
  };

  Reg.input = function (type, attrs) {
    var a = Object.assign({ type: type }, attrs || {});
    return Reg.el('input', a);
  };

  Reg.select = function (options, attrs, placeholder) {
    var s = Reg.el('select', attrs || {});
    if (placeholder) s.appendChild(Reg.el('option', { value: '', text: placeholder }));
    options.forEach(function (o) {
      var v = Array.isArray(o) ? o[0] : o;
      s.appendChild(Reg.el('option', { value: v, text: Array.isArray(o) ? o[1] : o }));
    });
    return s;
  };

  Reg.checkbox = function (name, label, attrs) {
    var cb = Reg.el('input', Object.assign({ type: 'checkbox', name: name, id: Reg.uid('cb') }, attrs || {}));
    return Reg.el('label', { class: 'check', for: cb.id }, [cb, Reg.el('span', { text: label })]);
  };

  /* ---- regions ------------------------------------------------------------------------ */

  var regionCache = {};
  Reg.regions = function (parent) {
    var key = parent || '';
    if (!regionCache[key]) {
      regionCache[key] = Reg.api('GET', '/api/regions' + (parent ? '?parent=' + encodeURIComponent(parent) : ''))
        .then(function (r) {
          if (!r.ok) { delete regionCache[key]; return []; }
          return (r.data && r.data.items) || [];
        });
    }
    return regionCache[key];
  };

  /* Province -> prefecture -> county picker in a field box named NAME.
   * picker.value() is the deepest code chosen (a prefecture or county);
   * opts.minLevel 2 (default) means a province alone is not enough. */
  Reg.regionPicker = function (name, label, opts) {
    opts = opts || {};
    var sels = [
      Reg.select([], { 'aria-label': '省（自治区、直辖市）', 'data-level': 1 }, '请选择省份'),
      Reg.select([], { 'aria-label': '市（州）', 'data-level': 2, disabled: true }, '请选择市（州）'),
      Reg.select([], { 'aria-label': '县（市、区）', 'data-level': 3, disabled: true }, '请选择县（市、区）')
    ];
    sels[0].id = Reg.uid('rg');
    var box = Reg.el('div', { class: 'field', 'data-field': name }, [
      Reg.el('label', { for: sels[0].id, text: label }),
      opts.hint ? Reg.el('span', { class: 'hint', text: opts.hint }) : null,
      Reg.el('div', { class: 'row region-row' }, sels),
      Reg.el('p', { class: 'err', role: 'alert' })
    ]);
    function fill(sel, items) {
      while (sel.options.length > 1) sel.remove(1);
      items.forEach(function (it) { sel.appendChild(Reg.el('option', { value: it.code, text: it.name })); });
      sel.disabled = items.length === 0;
    }
    function load(level, parent) {
      for (var i = level; i < 3; i++) { fill(sels[i], []); }
      if (!parent) return Promise.resolve();
      return Reg.regions(parent).then(function (items) { fill(sels[level], items); });
    }
    var ready = Reg.regions('').then(function (items) { fill(sels[0], items); });
    sels[0].addEventListener('change', function () { load(1, sels[0].value); });
    sels[1].addEventListener('change', function () { load(2, sels[1].value); });
    var picker = {
      box: box,
      selects: sels,
      ready: ready,
      value: function () { return sels[2].value || sels[1].value || sels[0].value || ''; },
      level: function () { return sels[2].value ? 3 : sels[1].value ? 2 : sels[0].value ? 1 : 0; },
      /* Select CODE (six digits) level by level. */
      set: function (code) {
        if (!code || !/^\d{6}$/.test(code)) return ready;
        var p = code.slice(0, 2) + '0000', c = code.slice(0, 4) + '00';
        return ready.then(function () {
          sels[0].value = p;
          return load(1, p);
        }).then(function () {
          if (c === p) return;
          sels[1].value = c;
          return load(2, c).then(function () { if (code !== c) sels[2].value = code; });
        });
      },
      check: function (errors, required) {
        var lv = picker.level();
        if (!lv && required !== false) errors[name] = '请选择所在地区 (choose a region)';
        else if (lv === 1 && (opts.minLevel || 2) > 1 && sels[1].options.length > 1) {
          errors[name] = '请选择到市（州）或县（区） (choose a prefecture or county)';
        }
      }
    };
    return picker;
  };
})();
