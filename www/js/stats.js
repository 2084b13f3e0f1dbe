/* stats.js - 信息公开: GET /api/registry/stats?region=CODE drawn as an
 * inline SVG bar chart (no library) plus tables. Counts below 5 arrive as
 * the string "<5" and are drawn as faint bars labelled "<5".
 *
 * The answer (plugins/registry/stats.c): {region, region_name, months:
 * [{month, registrations, withdrawals, wills}], children: [{region,
 * region_name, months}]}; the region's months are its totals and the
 * children's months are summed for the children table. normalise() also
 * takes a few other likely spellings in case the answer changes. */
(function () {
  'use strict';

  var Reg = window.Reg, el = Reg.el;
  var app = Reg.$('#app');
  var SVGNS = 'http://www.w3.org/2000/svg';
  var SERIES = [
    ['registrations', '志愿登记', 's-reg', ['registrations', 'registered', 'donors', 'donor_registrations']],
    ['withdrawals', '撤回', 's-wd', ['withdrawals', 'withdrawn', 'donor_withdrawals']],
    ['wills', '生前预嘱', 's-will', ['wills', 'living_wills', 'will_registrations']]
  ];

  var region = Reg.regionPicker('region', '地区', { minLevel: 1, hint: '不选择则显示全国' });
  Reg.$$('select', region.box)[2].classList.add('hidden');
  var btn = el('button', { type: 'submit', text: '查看统计' });
  var form = el('form', { id: 'stats-form', novalidate: true }, [
    el('fieldset', {}, [el('legend', { text: '选择地区' }), region.box, el('div', { class: 'actions' }, [btn])])
  ]);
  var out = el('div', { id: 'stats-result', 'aria-live': 'polite' });
  app.appendChild(el('p', { class: 'lead', text: '按月公布器官捐献志愿登记、撤回和生前预嘱登记的数量。为保护个人隐私，少于5的数字显示为“<5”。' }));
  app.appendChild(form);
  app.appendChild(out);

  function pick(obj, names) {
    for (var i = 0; i < names.length; i++) if (obj && obj[names[i]] !== undefined) return obj[names[i]];
    return undefined;
  }

  function row(o) {
    var r = { month: o.month || o.period || '' };
    SERIES.forEach(function (s) { var v = pick(o, s[3]); r[s[0]] = v === undefined ? null : v; });
    return r;
  }

  function normalise(d) {
    d = d || {};
    var self = d.region && typeof d.region === 'object' ? d.region : d;
    var months = (pick(self, ['months', 'series', 'items', 'per_month', 'monthly']) || []).map(row);
    var kids = (pick(d, ['children', 'regions', 'subregions', 'inside', 'sub_regions']) || []).map(function (c) {
      var cm = (pick(c, ['months', 'series', 'items', 'per_month', 'monthly']) || []).map(row);
      var t = c.total || c.totals;
      var r = t ? row(t) : row(c);
      if (!t && SERIES.every(function (x) { return r[x[0]] === null; })) r = sum(cm, '');
      r.name = c.region_name || c.name || c.region || c.code;
      r.months = cm;
      return r;
    });
    /* The region's months are its totals; should they be missing, add up
     * the regions inside it month by month. */
    if (!months.length) {
      var byMonth = {};
      kids.forEach(function (k) {
        k.months.forEach(function (m) { (byMonth[m.month] = byMonth[m.month] || []).push(m); });
      });
      months = Object.keys(byMonth).sort().map(function (k) { return sum(byMonth[k], k); });
    }
    return { name: self.region_name || self.name || d.region_name || '全国', months: months, children: kids };
  }

  /* Adds counts where some are "<5" (1 to 4): the result is a range
   * "lo–hi", or "<5" while it cannot reach 5. Nothing finer is revealed
   * than the parts already show. */
  function sum(rows, month) {
    var r = { month: month };
    SERIES.forEach(function (s) {
      var n = 0, few = 0, any = false;
      rows.forEach(function (x) {
        var v = x[s[0]];
        if (typeof v === 'number') { n += v; any = true; } else if (v === '<5') { few++; any = true; }
      });
      if (!any) r[s[0]] = null;
      else if (!few) r[s[0]] = n;
      else if (n + 4 * few < 5) r[s[0]] = '<5';
      else r[s[0]] = (n + few) + '–' + (n + 4 * few);
    });
    return r;
  }

  function num(v) {
    if (typeof v === 'number') return v;
    if (v === '<5') return 2.5;
    var m = /^(\d+)–(\d+)$/.exec(String(v));
    return m ? (Number(m[1]) + Number(m[2])) / 2 : 0;
  }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* Grouped bars: one group per month, one bar per series. */
  Reg.statsChart = function (months, width) {
    /* drawn at the width it is shown at, so 11px text stays 11px on a phone */
    var W = Math.max(300, Math.min(720, Math.round(width || 640))), H = W < 480 ? 240 : 300, L = 34, B = 36, T = 16, R = 8;
    var narrow = W < 480;
    var max = 5;
    months.forEach(function (m) { SERIES.forEach(function (s) { max = Math.max(max, num(m[s[0]])); }); });
    var step = Math.pow(10, Math.floor(Math.log(max) / Math.LN10));
    if (max / step > 5) step *= 2;
    var top = Math.ceil(max / step) * step;
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', id: 'stats-chart',
      'aria-label': '每月登记、撤回和生前预嘱数量柱状图' });
    var y = function (v) { return H - B - (v / top) * (H - B - T); };
    for (var g = 0; g <= top; g += step) {
      s.appendChild(svg('line', { class: 'grid', x1: L, x2: W - R, y1: y(g), y2: y(g) }));
      s.appendChild(svg('text', { x: L - 6, y: y(g) + 4, 'text-anchor': 'end' }, String(g)));
    }
    s.appendChild(svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    var gw = (W - L - R) / Math.max(months.length, 1);
    var bw = Math.max(2, Math.min(18, (gw - 6) / SERIES.length));
    months.forEach(function (m, i) {
      var x0 = L + i * gw + (gw - bw * SERIES.length) / 2;
      SERIES.forEach(function (ser, j) {
        var v = m[ser[0]];
        if (v === null) return;
        var h = (H - B) - y(num(v));
        var rect = svg('rect', { class: ser[2] + (typeof v === 'string' ? ' few' : ''), x: x0 + j * bw, y: y(num(v)), width: bw - 1, height: Math.max(h, 0) });
        rect.appendChild(svg('title', {}, m.month + ' ' + ser[1] + '：' + v));
        s.appendChild(rect);
        if (v === '<5' && bw >= 10) s.appendChild(svg('text', { x: x0 + j * bw + bw / 2, y: y(num(v)) - 3, 'text-anchor': 'middle' }, '<5'));
      });
      var every = Math.ceil(months.length / (narrow ? 6 : 12));
      if (i % every === 0) {
        s.appendChild(svg('text', { x: L + i * gw + gw / 2, y: H - B + 16, 'text-anchor': 'middle' },
          narrow && /^\d{4}-\d{2}$/.test(m.month) ? Number(m.month.slice(5)) + '月' : m.month));
      }
    });
    return s;
  };

  function table(rows, first, id) {
    return el('table', { class: 'list keep', id: id }, [
      el('thead', {}, [el('tr', {}, [el('th', { text: first })].concat(SERIES.map(function (s) { return el('th', { text: s[1] }); })))]),
      el('tbody', {}, rows.map(function (r) {
        return el('tr', {}, [el('td', { 'data-label': first, text: r.name || r.month })].concat(SERIES.map(function (s) {
          return el('td', { 'data-label': s[1], text: r[s[0]] === null ? '—' : String(r[s[0]]) });
        })));
      }))
    ]);
  }

  function load() {
    var code = region.value();
    Reg.busy(btn, true);
    Reg.api('GET', '/api/registry/stats' + (code ? '?region=' + encodeURIComponent(code) : '')).then(function (r) {
      Reg.busy(btn, false);
      Reg.clear(out);
      if (!r.ok) { out.appendChild(el('p', { class: 'notice error', text: r.error.message })); return; }
      var d = normalise(r.data);
      out.appendChild(el('h2', { text: d.name + ' · 每月统计' }));
      if (!d.months.length) { out.appendChild(el('p', { text: '暂无数据。' })); return; }
      out.appendChild(el('div', { class: 'legend' }, SERIES.map(function (s) {
        return el('span', {}, [el('i', { class: s[2] }), s[1]]);
      })));
      var chart = el('div', { class: 'chart' });
      out.appendChild(chart);
      chart.appendChild(Reg.statsChart(d.months, chart.clientWidth));
      out.appendChild(table(d.months, '月份', 'stats-months'));
      if (d.children.length) {
        out.appendChild(el('h2', { text: '下级地区' }));
        out.appendChild(table(d.children, '地区', 'stats-children'));
      }
    });
  }

  form.addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
  load();
})();
