"""registry_pages.py - the registry's web pages used the way a new user
would, in headless Chromium on a phone-sized screen (see cdp.py).

Run by registry_pages.sh, which starts nginx and oakseed; usage:

    python3 registry_pages.py BASE_URL SHOT_DIR WORK_DIR CHROMIUM

Environment: STAFF_USER, STAFF_PASSWORD (a regional_admin of 530000);
OAK_ACCESS_LOG, nginx's access log (checked at the end for ID numbers and
the reason for reading a living will); OAK_BROWSER_ONLY=static runs only the checks that need no registry API
(page structure and client-side validation), for working on the pages
before the plugin is built.

Prints one result per line for the shell wrapper to turn into TAP:
"PASS<TAB>description", "FAIL<TAB>description", "DIAG<TAB>text".
Screenshots (and PDFs of the print views) go to SHOT_DIR.
"""

import datetime
import json
import os
import random
import re
import sys
import traceback

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, CDPError  # noqa: E402

BASE, SHOTS, WORK, CHROMIUM = sys.argv[1:5]
STATIC_ONLY = os.environ.get('OAK_BROWSER_ONLY') == 'static'
STAFF_USER = os.environ.get('STAFF_USER', 'clerk')
STAFF_PASSWORD = os.environ.get('STAFF_PASSWORD', '')
ACCESS_LOG = os.environ.get('OAK_ACCESS_LOG', '')


def out(kind, text):
    for i, line in enumerate(str(text).splitlines() or ['']):
        print('%s\t%s' % (kind if i == 0 or kind == 'DIAG' else 'DIAG', line), flush=True)


def check(desc, cond, diag=None):
    out('PASS' if cond else 'FAIL', desc)
    if not cond and diag is not None:
        out('DIAG', '  ' + str(diag)[:800])
    return bool(cond)


def is_(got, want, desc):
    return check(desc, got == want, 'got %r, expected %r' % (got, want))


def like(got, pattern, desc):
    return check(desc, got is not None and re.search(pattern, got) is not None,
                 'text %r does not match /%s/' % ((got or '')[:400], pattern))


class Skip(Exception):
    pass


def section(name, fn, *args):
    """Run one scenario part; an unexpected error fails it and the rest goes on."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - any failure is a test failure here
        out('FAIL', '%s: finished without an error' % name)
        out('DIAG', '  %s: %s' % (type(e).__name__, e))
        for line in traceback.format_exc().splitlines()[-6:]:
            out('DIAG', '  ' + line)
        return None


def shot(page, name):
    path = os.path.join(SHOTS, name + '.png')
    try:
        page.screenshot(path)
    except CDPError as e:
        out('DIAG', 'screenshot %s failed: %s' % (name, e))


# ---- resident ID numbers (GB 11643) -------------------------------------------

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(region, birth):
    body = '%s%s%03d' % (region, birth.strftime('%Y%m%d'), random.randint(1, 998))
    return body + '10X98765432'[sum(int(c) * w for c, w in zip(body, W)) % 11]


def wrong_check_digit(idn):
    return idn[:17] + ('0' if idn[17] != '0' else '1')


TODAY = datetime.date.today()
ADULT = id_number('530502', datetime.date(1985, 3, 12))
ADULT2 = id_number('530502', datetime.date(1979, 11, 3))
ADULT3 = id_number('530502', datetime.date(1990, 6, 21))
MINOR = id_number('530502', TODAY.replace(year=TODAY.year - 10) - datetime.timedelta(days=3))
NAME = '李春华'
NAME_MASKED = '李*华'
WISH1 = '病情不可逆转时，不做气管切开和心肺复苏。'
WITHDRAW_REASON = '暂时想再考虑一下'
STAFF_REASON = '住院评估需要了解患者意愿'

state = {}


def field(form, name):
    return '%s [data-field="%s"]' % (form, name)


def err(page, form, name):
    """The error text shown in the field box of NAME (its own .err)."""
    return page.eval('''(function(){ var b = document.querySelector(%s); if (!b) return null;
        for (var i = b.children.length - 1; i >= 0; i--) if (b.children[i].classList.contains('err'))
            return b.children[i].textContent; return ''; })()''' % json.dumps(field(form, name)))


def no_problems(page, what):
    p = page.problems()
    return check('%s: no script errors or CSP refusals' % what, not p, '; '.join(p))


# ---- pages without the registry API ---------------------------------------------------

PAGES = [('/registry/donor.html', '#donor-form', '器官捐献志愿登记'),
         ('/registry/will.html', '#will-form', '我的五个愿望'),
         ('/registry/my.html', '#donor-lookup', '查询'),
         ('/registry/verify.html?number=D530502-XXXXXXXX&sig=AAAA', '#verify-result', '核验'),
         ('/registry/stats.html', '#stats-form', '信息公开'),
         ('/registry/staff.html', '#login-form', '工作人员'),
         ('/registry/', '#registry-links', '登记服务')]


def static_pages(p):
    p.goto(BASE + '/')
    hrefs = p.eval('Array.prototype.map.call(document.querySelectorAll("#registry-links a"), function (a) { return a.getAttribute("href"); })')
    for path in ('/registry/donor.html', '/registry/will.html', '/registry/my.html',
                 '/registry/stats.html', '/registry/staff.html'):
        check('index.html links to %s' % path, path in (hrefs or []), hrefs)
    for path, sel, title in PAGES:
        p.goto(BASE + path)
        p.wait('document.querySelector(%s)' % json.dumps(sel), 10)
        p.eval('new Promise(function (r) { setTimeout(r, 300); })')
        check('%s renders %s' % (path, sel), p.visible(sel) or p.exists(sel))
        like(p.eval('document.title'), title, '%s has its Chinese title' % path)
        wide = p.eval('document.documentElement.scrollWidth <= window.innerWidth + 1')
        check('%s fits a 390px phone screen (no sideways scrolling)' % path, wide)
        no_problems(p, path)
    shot(p, '00-registry-home')


def donor_client_checks(p):
    p.goto(BASE + '/registry/donor.html')
    f = '#donor-form'
    p.wait('document.querySelector("%s select[data-level=\\"1\\"]").options.length > 30' % f)
    h = p.eval('document.querySelector("%s button[type=submit]").getBoundingClientRect().height' % f)
    check('submit button is a large tap target (>= 44px, got %s)' % h, h and h >= 44)
    is_(p.eval('document.querySelectorAll("%s [data-field=ethnicity] option").length' % f), 57,
        'ethnicity select lists the 56 groups (plus the prompt)')
    p.click(f + ' button[type=submit]')
    like(err(p, f, 'name'), '姓名', 'empty form: the name error appears next to the name field')
    like(err(p, f, 'consents.voluntary'), '勾选', 'and each consent box says it must be ticked')
    like(err(p, f, 'donation'), '至少选择一项', 'and the donation choices ask for one choice')
    p.type(field(f, 'id_number') + ' input', wrong_check_digit(ADULT))
    p.click(f + ' button[type=submit]')
    like(err(p, f, 'id_number'), '校验位', 'a wrong check digit is reported next to the ID number')
    is_(p.eval('document.querySelector(%s).getAttribute("aria-invalid")' % json.dumps(field(f, 'id_number') + ' input')),
        'true', 'and the field is marked invalid for screen readers')
    shot(p, '01-donor-client-errors')
    check('guardian section hidden for an empty or adult ID', not p.visible('#guardian'))
    p.type(field(f, 'id_number') + ' input', MINOR)
    check('guardian section appears when the ID shows an age under 18', p.wait('!document.querySelector("#guardian").classList.contains("hidden")', 3))
    p.type(field(f, 'id_number') + ' input', ADULT)
    check('and goes away again for an adult', p.wait('document.querySelector("#guardian").classList.contains("hidden")', 3))
    p.choose(f + ' select[data-level="1"]', label='云南省')
    p.choose(f + ' select[data-level="2"]', label='保山市')
    p.choose(f + ' select[data-level="3"]', label='隆阳区')
    is_(p.eval('document.querySelector("%s select[data-level=\\"3\\"]").value' % f), '530502',
        'region cascade: 云南省 → 保山市 → 隆阳区 from /api/regions')
    p.click(f + ' [data-role=all]')
    is_(p.eval('document.querySelector("%s input[name=organ]").disabled' % f), True,
        '"all organs" disables the single organ choices')
    no_problems(p, 'donor form checks')


def will_client_checks(p):
    p.goto(BASE + '/registry/will.html')
    f = '#will-form'
    p.wait('document.querySelector("%s")' % f)
    tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()
    p.eval('(function(){ var i = document.querySelector(%s); i.value = %s; })()'
           % (json.dumps(field(f, 'signed_on') + ' input'), json.dumps(tomorrow)))
    p.type(field(f, 'id_number') + ' input', MINOR)
    p.click(f + ' button[type=submit]')
    like(err(p, f, 'signed_on'), '不能晚于今天', 'living will: a future signing date is refused next to its field')
    like(err(p, f, 'id_number'), '18周岁', 'living will: a minor is told it is for adults only')
    like(err(p, f, 'wishes.proxies.0.name'), '姓名', 'living will: the first proxy needs a name')
    like(err(p, f, 'witnesses.1.name'), '见证人', 'living will: the second witness is required')
    p.click(f + ' .proxies + button')
    p.click(f + ' .proxies + button')
    is_(p.eval('document.querySelectorAll("%s .proxy").length' % f), 3, 'proxies can be added up to three')
    is_(p.eval('document.querySelector("%s .proxies + button").disabled' % f), True, 'and no more than three')
    shot(p, '02-will-client-errors')
    no_problems(p, 'living will form checks')


# ---- end to end with the registry API ------------------------------------------------------------


def fill_donor(p, idn, name=NAME):
    f = '#donor-form'
    p.goto(BASE + '/registry/donor.html')
    p.type(field(f, 'name') + ' input', name)
    p.type(field(f, 'id_number') + ' input', idn)
    p.choose(field(f, 'ethnicity') + ' select', value='彝族')
    p.type(field(f, 'mobile') + ' input', '13812345678')
    p.choose(f + ' select[data-level="1"]', label='云南省')
    p.choose(f + ' select[data-level="2"]', label='保山市')
    p.choose(f + ' select[data-level="3"]', label='隆阳区')
    p.click(f + ' input[name=organ][value=kidneys]')
    p.click(f + ' input[name=organ][value=corneas]')
    p.click(f + ' [data-role=body]')
    p.type(field(f, 'emergency_contact.name') + ' input', '李国强')
    p.choose(field(f, 'emergency_contact.relation') + ' select', value='配偶')
    p.type(field(f, 'emergency_contact.mobile') + ' input', '13987654321')
    for c in ('voluntary', 'informed', 'revocable'):
        p.click(field(f, 'consents.' + c) + ' input')


def register_donor(p):
    fill_donor(p, ADULT)
    shot(p, '10-donor-filled')
    p.mark()
    p.click('#donor-form button[type=submit]')
    p.wait('document.querySelector("#reg-number") || document.querySelector("#donor-form .form-error").textContent', 15)
    number = p.text('#reg-number')
    if not like(number, r'^D530502-[23456789A-HJKMNP-Z]{8}$', 'registering a donor shows the registration number'):
        out('DIAG', '  page says: %s' % p.text('#donor-form .form-error'))
        shot(p, '11-donor-failed')
        raise Skip('registration failed')
    code = p.text('#access-code')
    like(code, r'^[23456789A-HJKMNP-Z]{4}-[23456789A-HJKMNP-Z]{4}-[23456789A-HJKMNP-Z]{4}$', 'and the access code, grouped')
    like(p.text('#result .notice.warn'), '只显示这一次', 'with a clear warning that it is shown only once')
    check('the electronic donor card is shown', p.visible('#donor-card'))
    card = p.text('#donor-card') or ''
    check('the card shows the typed name and the number', NAME in card and number in card, card)
    like(card, '肾脏、眼角膜、遗体', 'and the donation choices')
    link = p.eval('document.querySelector("#card-verify-link").href')
    like(link, r'/registry/verify\.html\?number=D530502-[^&]+&sig=.+', 'the card carries a verify link with number and signature')
    check('the card carries no ID number', ADULT not in card and ADULT[:6] + '*' not in card)
    shot(p, '11-donor-registered')
    p.media('print')
    try:
        check('print view shows the card', p.eval('getComputedStyle(document.querySelector("#donor-card")).visibility') == 'visible')
        check('print view hides the page header and buttons',
              p.eval('getComputedStyle(document.querySelector("header")).display') == 'none' and
              p.eval('getComputedStyle(document.querySelector("#result .actions")).display') == 'none')
        shot(p, '12-donor-card-print')
        p.pdf(os.path.join(SHOTS, '12-donor-card-print.pdf'))
    finally:
        p.media('')
    no_problems(p, 'donor registration')
    state.update(number=number, code=code, link=link)


def verify(p, want, picture):
    p.goto(state['link'])
    p.wait('document.querySelector("#verdict")', 10)
    is_(p.text('#verdict'), want, 'the verify link says %s' % want)
    body = p.text('#verify-result') or ''
    like(body, '隆阳区', 'and shows the region')
    like(body, r'\d{4}-\d{2}', 'and the month')
    check('and nothing personal (no name, no ID number)', NAME not in body and ADULT[:6] + '*' not in body, body)
    shot(p, picture)
    no_problems(p, 'verify page')


def duplicate(p):
    fill_donor(p, ADULT)
    p.click('#donor-form button[type=submit]')
    p.wait('document.querySelector("#donor-form .form-error").textContent', 10)
    like(p.text('#donor-form .form-error'), '已登记', 'registering the same ID number again says it is already registered')


def withdraw(p):
    p.goto(BASE + '/registry/my.html')
    f = '#donor-lookup'
    p.type(field(f, 'id_number') + ' input', ADULT)
    p.type(field(f, 'access_code') + ' input', state['code'].lower().replace('-', ''))
    p.click(f + ' button[type=submit]')
    p.wait('document.querySelector("#donor-status")', 10)
    is_(p.text('#donor-status'), '有效', 'lookup with ID number and access code (typed lower case, no dashes) shows 有效')
    like(p.text('#donor-result'), r'\d{6}\*+\d{3}[\dX]', 'and shows the ID number masked')
    check('and never the ID number in clear', ADULT not in (p.eval('document.body.innerText') or ''))
    shot(p, '20-donor-lookup')
    a = '#donor-amend'
    p.type(field(a, 'mobile') + ' input', '13900001111')
    p.click(a + ' button[type=submit]')
    p.wait('/修改已保存/.test(document.querySelector("#donor-result").innerText) || '
           'document.querySelector("#donor-amend .form-error").textContent', 10)
    like(p.text('#donor-result'), '139\\*{4}1111', 'amending the mobile number shows the new one, masked')
    like(p.text('#revisions'), '修改', 'and the change is listed as a new revision')
    p.type(field('#donor-withdraw', 'reason') + ' textarea', WITHDRAW_REASON)
    p.click('#donor-withdraw .confirm > button')
    p.click('#donor-withdraw .confirm .notice button.danger')
    p.wait('document.querySelector("#withdrawn-notice")', 10)
    is_(p.text('#donor-status'), '已撤回', 'withdrawing (after confirming) shows 已撤回 at once')
    shot(p, '21-donor-withdrawn')
    no_problems(p, 'lookup and withdraw')


def register_again(p):
    fill_donor(p, ADULT)
    p.click('#donor-form button[type=submit]')
    p.wait('document.querySelector("#reg-number") || document.querySelector("#donor-form .form-error").textContent', 15)
    number = p.text('#reg-number')
    if not like(number, r'^D530502-[23456789A-HJKMNP-Z]{8}$', 'after withdrawing, the same person can register again'):
        out('DIAG', '  page says: %s' % p.text('#donor-form .form-error'))
        raise Skip('registering again failed')
    check('as a new registration with a new number', number != state['number'], number)
    check('and a new access code', p.text('#access-code') != state['code'])
    shot(p, '23-donor-registered-again')
    no_problems(p, 'registering again')
    state.update(number2=number)


def wrong_code(p):
    p.goto(BASE + '/registry/my.html')
    f = '#donor-lookup'
    p.type(field(f, 'id_number') + ' input', ADULT2)
    p.type(field(f, 'access_code') + ' input', '2345-6789-ABCD')
    p.click(f + ' button[type=submit]')
    p.wait('document.querySelector("#donor-lookup .form-error").textContent', 10)
    like(p.text('#donor-lookup .form-error'), '不正确', 'an unknown ID/code pair is answered without telling whether the ID is registered')


def fill_will(p, idn, proxy_mobile='13711112222'):
    f = '#will-form'
    p.goto(BASE + '/registry/will.html')
    p.type(field(f, 'name') + ' input', '王秀英')
    p.type(field(f, 'id_number') + ' input', idn)
    p.type(field(f, 'mobile') + ' input', '13612345678')
    p.choose(f + ' select[data-level="1"]', label='云南省')
    p.choose(f + ' select[data-level="2"]', label='保山市')
    p.choose(f + ' select[data-level="3"]', label='隆阳区')
    p.type(field(f, 'wishes.medical_care') + ' textarea', WISH1)
    p.click(field(f, 'wishes.life_support.choice') + ' input[value=do_not_want]')
    p.type(field(f, 'wishes.comfort') + ' textarea', '希望减轻疼痛，有家人陪伴。')
    p.type(field(f, 'wishes.family_message') + ' textarea', '谢谢你们，不要难过。')
    p.type(field(f, 'wishes.proxies.0.name') + ' input', '王建军')
    p.choose(field(f, 'wishes.proxies.0.relation') + ' select', value='子女')
    p.type(field(f, 'wishes.proxies.0.mobile') + ' input', proxy_mobile)
    p.type(field(f, 'witnesses.0.name') + ' input', '赵丽')
    p.type(field(f, 'witnesses.1.name') + ' input', '孙强')


def register_will(p):
    fill_will(p, ADULT3)
    shot(p, '30-will-filled')
    p.click('#will-form button[type=submit]')
    p.wait('document.querySelector("#reg-number") || document.querySelector("#will-form .form-error").textContent', 15)
    number = p.text('#reg-number')
    if not like(number, r'^W530502-[23456789A-HJKMNP-Z]{8}$', 'filling the five wishes registers a living will'):
        out('DIAG', '  page says: %s' % p.text('#will-form .form-error'))
        raise Skip('living will failed')
    code = p.text('#access-code')
    like(code, r'^[23456789A-HJKMNP-Z]{4}(-[23456789A-HJKMNP-Z]{4}){2}$', 'and shows the access code once')
    like(p.text('#proxy-codes'), r'王建军', "and each proxy's code")
    shot(p, '31-will-registered')
    no_problems(p, 'living will registration')
    state.update(will=number, will_code=code)


def will_server_error(p):
    fill_will(p, ADULT2, proxy_mobile='12345')
    p.eval('Reg.clientChecks = false')      # let the server judge the form
    p.click('#will-form button[type=submit]')
    p.wait('document.querySelector("#will-form .form-error").textContent', 10)
    like(err(p, '#will-form', 'wishes.proxies.0.mobile'), r'\S',
         "the API's error for wishes.proxies.0.mobile appears next to the proxy's mobile field")
    check('and that field is marked invalid',
          p.eval('document.querySelector(%s).classList.contains("invalid")' % json.dumps(field('#will-form', 'wishes.proxies.0.mobile'))))
    check('and nothing was registered', not p.exists('#reg-number'))
    shot(p, '32-will-server-error')


def will_lookup(p):
    p.goto(BASE + '/registry/my.html?tab=will')
    f = '#will-lookup'
    p.type(field(f, 'id_number') + ' input', ADULT3)
    p.type(field(f, 'access_code') + ' input', state['will_code'])
    p.click(f + ' button[type=submit]')
    p.wait('document.querySelector("#will-doc")', 10)
    like(p.text('#will-doc'), re.escape(WISH1), 'the registrant sees the current version of the living will')
    check('and the list of who read it', p.exists('#will-reads'))
    like(p.text('#will-reads'), '工作人员', 'which lists the staff read with its reason')
    p.media('print')
    try:
        check('print view shows the document',
              p.eval('getComputedStyle(document.querySelector("#will-doc")).visibility') == 'visible' and
              p.eval('getComputedStyle(document.querySelector("#will-update")).visibility') == 'hidden')
        shot(p, '41-will-print')
        p.pdf(os.path.join(SHOTS, '41-will-print.pdf'))
    finally:
        p.media('')
    shot(p, '40-will-lookup')
    no_problems(p, 'living will lookup')


def staff(p):
    p.goto(BASE + '/registry/staff.html')
    p.wait('!document.querySelector("#login-form").classList.contains("hidden")', 10)
    f = '#login-form'
    p.type(field(f, 'username') + ' input', STAFF_USER)
    p.type(field(f, 'password') + ' input', STAFF_PASSWORD)
    p.click(f + ' button[type=submit]')
    p.wait('document.querySelector("#whoami") || document.querySelector("#login-form .form-error").textContent', 10)
    if not like(p.text('#whoami'), '地区管理员', 'staff login shows the account and its role'):
        raise Skip('login failed: %s' % p.text('#login-form .form-error'))
    # every URL the page fetches, and every file it hands over for download
    p.eval('''(function () {
        window.__urls = [];
        var f = window.fetch;
        window.fetch = function (u) { window.__urls.push(String(u)); return f.apply(this, arguments); };
        window.__csv = null;
        var c = URL.createObjectURL;
        URL.createObjectURL = function (b) { b.text().then(function (t) { window.__csv = t; }); return c.call(URL, b); };
    })()''')
    downloads = os.path.join(WORK, 'downloads')
    os.makedirs(downloads, exist_ok=True)
    try:
        p.b.send('Browser.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': downloads})
    except CDPError as e:
        out('DIAG', 'setDownloadBehavior: %s' % e)
    s = '#search-form'
    results = ('document.querySelector("#results-table") || document.querySelector("#no-results") || '
               'document.querySelector("#search-form .form-error").textContent')
    p.type(field(s, 'number') + ' input', state['number'])
    p.click(s + ' button[type=submit]')
    p.wait(results, 10)
    like(p.text('#results-table'), re.escape(state['number']), 'staff search by number finds the registration')
    # by ID number: both of the person's registrations, the number in no URL
    p.type(field(s, 'number') + ' input', '')
    p.type(field(s, 'id_number') + ' input', ADULT)
    p.eval('document.querySelector("#search-results").textContent = ""')
    p.click(s + ' button[type=submit]')
    p.wait(results, 10)
    found = p.text('#results-table') or ''
    if not like(found, re.escape(state['number']), 'staff search by ID number finds the registration'):
        out('DIAG', '  page says: %s' % p.text('#search-form .form-error'))
    if 'number2' in state:
        like(found, re.escape(state['number2']), 'and the registration made after the withdrawal')
    check('and shows the ID number masked, never in clear', ADULT not in (p.eval('document.querySelector("#search-results").innerText') or ''))
    shot(p, '50-staff-search-by-id')
    p.click('#csv-export')
    p.wait('document.querySelector("#csv-status").textContent || document.querySelector("#search-form .form-error").textContent', 10)
    like(p.text('#csv-status'), r'已导出 %d 条' % (2 if 'number2' in state else 1), 'CSV export by ID number (a POST) says what it exported')
    p.wait('window.__csv !== null', 5)
    csv = p.eval('window.__csv') or ''
    like(csv, re.escape('"%s","已撤回","%s"' % (state['number'], NAME_MASKED)),
         'the CSV holds the registration with the name masked (%s)' % NAME_MASKED)
    check('and neither the name nor the ID number in clear', NAME not in csv and ADULT not in csv, csv[:300])
    for _ in range(30):
        if os.path.exists(os.path.join(downloads, 'donors.csv')):
            break
        p.eval('new Promise(function (r) { setTimeout(r, 100); })')
    check('the browser saved donors.csv', os.path.exists(os.path.join(downloads, 'donors.csv')), os.listdir(downloads))
    urls = p.eval('window.__urls') or []
    check('the page put the ID number in no URL it fetched',
          urls and not any(ADULT in u or ADULT.lower() in u or 'id_number' in u for u in urls), urls)
    p.eval('''(function () { var rows = document.querySelectorAll("#results-table tbody tr");
        for (var i = 0; i < rows.length; i++) if (rows[i].getAttribute("data-number") === %s) rows[i].click(); })()'''
           % json.dumps(state['number']))
    p.wait('document.querySelector("#donor-detail dl")', 10)
    detail = p.text('#donor-detail')
    like(detail, r'\d{6}\*+\d{3}[\dX]', 'the detail view shows the ID number masked')
    check('and never in clear', ADULT not in detail)
    like(detail, '撤回原因', 'the detail of the withdrawn registration shows the withdrawal reason')
    like(detail, re.escape(WITHDRAW_REASON), 'as the registrant gave it')
    if 'number2' in state:
        like(detail, re.escape(state['number2']), 'and the registration that followed it')
    shot(p, '50-staff-detail')
    p.click('#tab-followups')
    p.wait('document.querySelector("#followup-list").children.length', 10)
    check('the follow-up queue loads', not p.exists('#followup-list .notice.error'), p.text('#followup-list'))
    shot(p, '51-staff-followups')
    if 'will' in state and p.exists('#tab-wills'):
        p.click('#tab-wills')
        w = '#staff-will-form'
        p.type(field(w, 'number') + ' input', state['will'])
        p.type(field(w, 'reason') + ' textarea', STAFF_REASON)
        p.click(w + ' button[type=submit]')
        p.wait('document.querySelector("#staff-will #will-doc") || document.querySelector("#staff-will-form .form-error").textContent', 10)
        like(p.text('#staff-will'), re.escape(WISH1), 'staff read a living will giving a reason')
        urls = p.eval('window.__urls') or []
        check('the reason went in no URL', any('/read' in u for u in urls) and
              not any('reason' in u or STAFF_REASON in u for u in urls), urls)
    no_problems(p, 'staff pages')


def access_log(p):
    """nginx logs every request line: no ID number typed in these pages, and
    not the reason given for reading a living will, may be in it."""
    if not ACCESS_LOG:
        out('DIAG', 'OAK_ACCESS_LOG not set: access log not checked')
        return
    with open(ACCESS_LOG, encoding='utf-8', errors='replace') as f:
        text = f.read()
    check('nginx logged the pages\' requests', 'POST /api/registry/' in text)
    lower = text.lower()
    for what, v in (('ID number', ADULT), ('ID number', ADULT2), ('ID number', ADULT3), ('ID number', MINOR)):
        check('no %s typed in the pages is in nginx\'s access log' % what, v not in text and v.lower() not in lower, v)
    enc = ''.join('%%%02x' % b for b in STAFF_REASON.encode('utf-8'))
    check('nor the reason for reading a living will (plain or percent-encoded)',
          STAFF_REASON not in text and enc not in lower)


def stats(p):
    p.goto(BASE + '/registry/stats.html')
    p.choose('#stats-form select[data-level="1"]', label='云南省')
    p.click('#stats-form button[type=submit]')
    p.wait('/云南省/.test(document.querySelector("#stats-result h2").textContent)', 10)
    check('statistics for 云南省 draw an SVG chart', p.exists('#stats-chart rect'), p.text('#stats-result'))
    like(p.text('#stats-result'), '<5', 'small counts show as <5')
    shot(p, '60-stats')
    no_problems(p, 'statistics')


def guarded(name, fn, p, needs=()):
    if any(k not in state for k in needs):
        out('FAIL', '%s: not run, an earlier step failed' % name)
        return
    try:
        fn(p)
    except Skip as e:
        out('DIAG', '  %s stopped: %s' % (name, e))
    except Exception as e:  # noqa: BLE001 - any failure is a test failure here
        out('FAIL', '%s: finished without an error' % name)
        out('DIAG', '  %s: %s' % (type(e).__name__, e))
        for line in traceback.format_exc().splitlines()[-6:]:
            out('DIAG', '  ' + line)
        shot(p, 'failed-' + re.sub(r'\W+', '-', name))


def main():
    os.makedirs(SHOTS, exist_ok=True)
    with Browser(CHROMIUM, WORK) as b:
        p = b.page()
        section('static pages', static_pages, p)
        section('donor form checks', donor_client_checks, p)
        section('living will form checks', will_client_checks, p)
        if STATIC_ONLY:
            out('DIAG', 'OAK_BROWSER_ONLY=static: end-to-end steps not run')
            return
        guarded('donor registration', register_donor, p)
        guarded('verify (active)', lambda q: verify(q, '有效', '13-verify-valid'), p, ('link',))
        guarded('duplicate registration', duplicate, p, ('number',))
        guarded('lookup and withdraw', withdraw, p, ('code',))
        guarded('verify (withdrawn)', lambda q: verify(q, '已撤回', '22-verify-withdrawn'), p, ('link',))
        guarded('registering again after withdrawing', register_again, p, ('code',))
        guarded('wrong access code', wrong_code, p)
        guarded('living will registration', register_will, p)
        guarded('living will server validation', will_server_error, p)
        guarded('staff pages', staff, p, ('number',))
        guarded('living will lookup', will_lookup, p, ('will_code',))
        guarded('statistics', stats, p)
        guarded('access log', access_log, p)


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # noqa: BLE001
        out('FAIL', 'browser session')
        out('DIAG', '  %s: %s' % (type(e).__name__, e))
        for line in traceback.format_exc().splitlines()[-8:]:
            out('DIAG', '  ' + line)
