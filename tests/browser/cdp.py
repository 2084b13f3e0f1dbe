"""cdp.py - drive headless Chromium over the DevTools protocol.

Only the Python standard library: Chromium is started with
--remote-debugging-pipe, so the protocol runs over two pipes (the browser
reads commands on fd 3 and writes answers on fd 4, NUL-terminated JSON)
and no WebSocket client is needed.

    with Browser(chromium, workdir) as b:
        p = b.page(width=390, height=844)
        p.goto(url)
        p.type('#donor-form [data-field=name] input', '张三')
        p.click('#donor-form button[type=submit]')
        p.wait("document.querySelector('#reg-number')")
        p.screenshot('out.png')

Clicks and typing are real input events (Input.dispatchMouseEvent,
Input.insertText); <select> values are set from script with a change
event, as headless Chromium has no popup to click.
"""

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time


class CDPError(Exception):
    pass


class Browser:
    def __init__(self, chromium, workdir, timeout=20):
        self.timeout = timeout
        self.workdir = workdir
        self.profile = os.path.join(workdir, 'profile')
        os.makedirs(self.profile, exist_ok=True)
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        # keep the child's ends away from 3 and 4 until dup2 puts them there
        hi_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def child_fds():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        args = [chromium, '--headless=new', '--remote-debugging-pipe',
                '--user-data-dir=' + self.profile, '--no-first-run', '--no-default-browser-check',
                '--disable-gpu', '--disable-dev-shm-usage', '--disable-extensions',
                '--disable-background-networking', '--disable-sync', '--disable-translate',
                '--disable-features=Translate,MediaRouter,OptimizationHints',
                '--metrics-recording-only', '--password-store=basic', '--use-mock-keychain',
                '--lang=zh-CN', '--hide-scrollbars', '--mute-audio', '--force-color-profile=srgb']
        if os.geteuid() == 0:
            args.append('--no-sandbox')      # Chromium refuses to run as root otherwise
        args.append('about:blank')
        self.log = open(os.path.join(workdir, 'chromium.log'), 'ab')
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     preexec_fn=child_fds, close_fds=False)
        os.close(hi_r)
        os.close(hi_w)
        self._buf = b''
        self._id = 0
        self.events = []
        self.send('Browser.getVersion')

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send('Browser.close', timeout=5)
            except Exception:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_message(self, deadline):
        while b'\0' not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError('timed out waiting for the browser')
            ready, _, _ = select.select([self._r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                raise CDPError('the browser closed its pipe (crashed?) - see chromium.log')
            self._buf += chunk
        msg, self._buf = self._buf.split(b'\0', 1)
        return json.loads(msg.decode('utf-8'))

    def send(self, method, params=None, session=None, timeout=None):
        self._id += 1
        mid = self._id
        msg = {'id': mid, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        data = json.dumps(msg).encode('utf-8') + b'\0'
        while data:
            n = os.write(self._w, data)
            data = data[n:]
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            m = self._read_message(deadline)
            if m.get('id') == mid:
                if 'error' in m:
                    raise CDPError('%s: %s' % (method, m['error'].get('message')))
                return m.get('result', {})
            if 'method' in m:
                self.events.append(m)

    def pump(self, seconds=0.05):
        """Collect events that arrived without waiting for an answer."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                m = self._read_message(deadline)
                if 'method' in m:
                    self.events.append(m)
        except CDPError:
            pass

    def page(self, width=390, height=844, mobile=True):
        target = self.send('Target.createTarget', {'url': 'about:blank'})['targetId']
        session = self.send('Target.attachToTarget', {'targetId': target, 'flatten': True})['sessionId']
        return Page(self, session, width, height, mobile)


class Page:
    def __init__(self, browser, session, width, height, mobile):
        self.b = browser
        self.session = session
        self.send('Page.enable')
        self.send('Runtime.enable')
        self.send('Log.enable')
        self.send('Emulation.setDeviceMetricsOverride',
                  {'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': mobile})
        if mobile:
            self.send('Emulation.setTouchEmulationEnabled', {'enabled': True, 'maxTouchPoints': 5})

    def send(self, method, params=None, timeout=None):
        return self.b.send(method, params, self.session, timeout)

    # ---- pages and script ------------------------------------------------

    def goto(self, url, timeout=15):
        self.mark()
        r = self.send('Page.navigate', {'url': url})
        if r.get('errorText'):
            raise CDPError('navigate %s: %s' % (url, r['errorText']))
        self.wait("document.readyState === 'complete' && location.href !== 'about:blank'", timeout)

    def eval(self, expr, await_promise=True):
        r = self.send('Runtime.evaluate', {'expression': expr, 'returnByValue': True,
                                           'awaitPromise': await_promise, 'userGesture': True})
        if r.get('exceptionDetails'):
            d = r['exceptionDetails']
            raise CDPError('script failed: %s (%s)' % (
                d.get('exception', {}).get('description', d.get('text')), expr[:120]))
        return r.get('result', {}).get('value')

    def wait(self, expr, timeout=10):
        """Poll EXPR until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                v = self.eval('(function(){ try { var v = (%s); return v instanceof Node ? true : v; }'
                              ' catch (e) { return null; } })()' % expr)
                if v:
                    return v
            except CDPError as e:
                last = e
            time.sleep(0.1)
        raise CDPError('timed out after %ss waiting for: %s%s' % (timeout, expr, ' (%s)' % last if last else ''))

    def text(self, sel):
        return self.eval('(function(){ var e = document.querySelector(%s); return e ? e.innerText : null; })()'
                         % json.dumps(sel))

    def exists(self, sel):
        return bool(self.eval('!!document.querySelector(%s)' % json.dumps(sel)))

    def visible(self, sel):
        return bool(self.eval('''(function(){ var e = document.querySelector(%s);
            if (!e) return false; var r = e.getBoundingClientRect(); var s = getComputedStyle(e);
            return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; })()''' % json.dumps(sel)))

    # ---- input ---------------------------------------------------------------

    def _center(self, sel):
        r = self.eval('''(function(){ var e = document.querySelector(%s); if (!e) return null;
            e.scrollIntoView({block: 'center', inline: 'center'}); var r = e.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2, r.width, r.height]; })()''' % json.dumps(sel))
        if not r:
            raise CDPError('no element for %s' % sel)
        if r[2] <= 0 or r[3] <= 0:
            raise CDPError('element %s is not visible' % sel)
        return r[0], r[1]

    def click(self, sel):
        x, y = self._center(sel)
        for kind in ('mouseMoved', 'mousePressed', 'mouseReleased'):
            p = {'type': kind, 'x': x, 'y': y}
            if kind != 'mouseMoved':
                p.update({'button': 'left', 'clickCount': 1})
            self.send('Input.dispatchMouseEvent', p)

    def type(self, sel, text):
        """Focus the field, select what is in it and type TEXT over it."""
        self._center(sel)
        ok = self.eval('''(function(){ var e = document.querySelector(%s); if (!e) return false;
            e.focus(); if (e.select) e.select(); return document.activeElement === e; })()''' % json.dumps(sel))
        if not ok:
            raise CDPError('cannot focus %s' % sel)
        if text == '':
            self.send('Input.dispatchKeyEvent', {'type': 'keyDown', 'key': 'Backspace', 'code': 'Backspace',
                                                 'windowsVirtualKeyCode': 8})
            self.send('Input.dispatchKeyEvent', {'type': 'keyUp', 'key': 'Backspace', 'code': 'Backspace',
                                                 'windowsVirtualKeyCode': 8})
        else:
            self.send('Input.insertText', {'text': text})
        self.eval('document.activeElement && document.activeElement.dispatchEvent(new Event("change", {bubbles: true}))')

    def choose(self, sel, value=None, label=None, timeout=10):
        """Pick an <option> by value or by its text, waiting for it to exist."""
        match = ('o.value === %s' % json.dumps(value)) if value is not None else \
            ('o.textContent.trim() === %s' % json.dumps(label))
        self.wait('''(function(){ var s = document.querySelector(%s); if (!s || s.disabled) return false;
            return Array.prototype.some.call(s.options, function (o) { return %s; }); })()'''
                  % (json.dumps(sel), match), timeout)
        self.eval('''(function(){ var s = document.querySelector(%s); s.focus();
            var o = Array.prototype.filter.call(s.options, function (o) { return %s; })[0];
            s.value = o.value; s.dispatchEvent(new Event('input', {bubbles: true}));
            s.dispatchEvent(new Event('change', {bubbles: true})); })()''' % (json.dumps(sel), match))

    # ---- evidence ---------------------------------------------------------------

    def screenshot(self, path, full=True):
        params = {'format': 'png'}
        if full:
            m = self.send('Page.getLayoutMetrics')
            size = m.get('cssContentSize') or m.get('contentSize')
            params.update({'captureBeyondViewport': True,
                           'clip': {'x': 0, 'y': 0, 'width': size['width'],
                                    'height': min(size['height'], 8000), 'scale': 1}})
        data = self.send('Page.captureScreenshot', params, timeout=30)['data']
        with open(path, 'wb') as f:
            f.write(base64.b64decode(data))

    def pdf(self, path):
        data = self.send('Page.printToPDF', {'printBackground': True}, timeout=30)['data']
        with open(path, 'wb') as f:
            f.write(base64.b64decode(data))

    def media(self, media):
        self.send('Emulation.setEmulatedMedia', {'media': media})

    def mark(self):
        """Forget the events seen so far (problems() reports newer ones)."""
        self.b.pump()
        self.b.events = [e for e in self.b.events if e.get('sessionId') != self.session]

    def problems(self):
        """Script exceptions and Content-Security-Policy refusals since mark()."""
        self.b.pump()
        out = []
        for e in self.b.events:
            if e.get('sessionId') != self.session:
                continue
            m, p = e.get('method'), e.get('params', {})
            if m == 'Runtime.exceptionThrown':
                d = p.get('exceptionDetails', {})
                out.append('exception: ' + d.get('exception', {}).get('description', d.get('text', '?')))
            elif m == 'Log.entryAdded':
                t = p.get('entry', {}).get('text', '')
                if 'Content Security Policy' in t or 'Content-Security-Policy' in t:
                    out.append('CSP: ' + t)
            elif m == 'Runtime.consoleAPICalled' and p.get('type') == 'error':
                out.append('console.error: ' + ' '.join(str(a.get('value', a.get('description', '')))
                                                        for a in p.get('args', [])))
        return out
