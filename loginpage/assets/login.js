// The authing sign-in page: the browser flow of a Bazis web client.
//
// 1. GET {prefix}/auth/ (credentials included): 200 is a session, 400 lists
//    the login actions and sets the store cookie (HttpOnly; the page never
//    reads it). meta.token is the same store token, used only for the query
//    of GET actions (a window cannot send a header).
// 2. The password form is POSTed as JSON to the password action with the
//    cookie; the browser follows the 303 to GET /auth/ with the cookie, which
//    answers the session once (and deletes the cookie) or the error.
// 3. GET actions (Google, OpenID Connect) open their URL with
//    ?<cookie name>=<store token> in a window; the page polls /auth/ until it
//    answers a session or a new sign-in error.
// 4. The session token is kept in sessionStorage and sent as a bearer token
//    to refresh it; logout posts /logout/ and forgets it.
(function () {
  'use strict';

  var prefix = document.querySelector('meta[name="authing-prefix"]').content;
  var cookieName = document.querySelector('meta[name="authing-cookie-name"]').content;
  var sessionKey = 'authing.session';
  var storeToken = '';
  var poller = null;

  function $(id) { return document.getElementById(id); }

  function setState(state, message, isError) {
    document.body.dataset.state = state;
    var m = $('message');
    m.textContent = message || '';
    m.className = isError ? 'error' : '';
  }

  // api sends one request to the sign-in API (path: an absolute path) and
  // decodes a JSON answer.
  function api(method, path, options) {
    options = options || {};
    var headers = { 'Accept': 'application/json' };
    var session = sessionStorage.getItem(sessionKey);
    if (options.session && session) {
      headers['Authorization'] = 'Bearer ' + session;
    }
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    return fetch(path, {
      method: method,
      headers: headers,
      credentials: 'include',
      cache: 'no-store',
      redirect: 'follow',
      body: options.json !== undefined ? JSON.stringify(options.json) : undefined
    }).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        if (text) {
          try { body = JSON.parse(text); } catch (e) { body = null; }
        }
        return { status: res.status, body: body };
      });
    });
  }

  function errorsOf(answer) {
    return answer.body && Array.isArray(answer.body.errors) ? answer.body.errors : [];
  }

  function describe(errors) {
    return errors.map(function (e) { return e.detail || e.title || e.code || ('status ' + e.status); }).join('; ');
  }

  // payload decodes the claims of a JWT (for display only: the server checks it).
  function payload(token) {
    try {
      var p = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      var bytes = Uint8Array.from(atob(p), function (c) { return c.charCodeAt(0); });
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      return {};
    }
  }

  // show renders an answer of GET /auth/.
  function show(answer) {
    if (answer.status === 200 && answer.body && answer.body.token) {
      showUser(answer.body);
      return;
    }
    var errors = errorsOf(answer);
    if (answer.status === 400 && errors.length && errors[0].code === 'UNAUTHORIZED') {
      sessionStorage.removeItem(sessionKey);
      showAnonymous(errors);
      return;
    }
    setState('error', 'Unexpected answer (HTTP ' + answer.status + ')' + (errors.length ? ': ' + describe(errors) : ''), true);
  }

  function showUser(s) {
    stopPolling();
    sessionStorage.setItem(sessionKey, s.token);
    var claims = payload(s.token);
    $('anonymous').hidden = true;
    $('signed-in').hidden = false;
    $('user-name').textContent = s.username;
    $('user-email').textContent = s.email ? '(' + s.email + ')' : '';
    $('user-id').textContent = s.user_id;
    $('user-full-name').textContent = [s.first_name, s.last_name].filter(Boolean).join(' ') || '—';
    $('auth-type').textContent = claims.auth_type || '—';
    $('expires').textContent = claims.exp ? new Date(claims.exp * 1000).toLocaleString() : '—';
    setState('signed-in', '');
  }

  function showAnonymous(errors) {
    var meta = errors[0].meta || {};
    storeToken = meta.token || '';
    var actions = Array.isArray(meta.actions) ? meta.actions : [];
    $('signed-in').hidden = true;
    $('anonymous').hidden = false;
    var form = $('login-form');
    form.hidden = true;
    var methods = $('methods');
    methods.textContent = '';
    actions.forEach(function (a) {
      if (a.method === 'POST' && a.code === 'password') {
        form.hidden = false;
        form.dataset.url = a.url;
      } else if (a.method === 'GET') {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'action';
        b.dataset.code = a.code || '';
        b.textContent = a.name || a.code;
        b.addEventListener('click', function () { openAction(a); });
        methods.appendChild(b);
      }
    });
    // The store's sign-in errors (status 422) and its next step (status 100).
    var rest = errors.slice(1);
    var signInErrors = rest.filter(function (e) { return e.status !== 100; });
    var next = rest.filter(function (e) { return e.status === 100; });
    if (signInErrors.length) {
      setState('anonymous', describe(signInErrors), true);
    } else if (next.length) {
      setState('anonymous', next[0].detail || next[0].title);
    } else {
      setState('anonymous', actions.length ? '' : 'No sign-in method is offered.');
    }
    return signInErrors.length;
  }

  function load() {
    return api('GET', prefix + '/auth/', { session: true }).then(show).catch(function (e) {
      setState('error', 'The sign-in service cannot be reached: ' + e.message, true);
    });
  }

  function signIn(event) {
    event.preventDefault();
    var form = $('login-form');
    $('submit').disabled = true;
    setState('working', 'Signing in…');
    api('POST', form.dataset.url, { json: { username: $('username').value, password: $('password').value } })
      .then(function (answer) {
        $('password').value = '';
        if (answer.status === 200 || answer.status === 400) {
          show(answer); // the followed 303: GET /auth/
          return;
        }
        // 401: the store is gone (expired, or the cookie was not stored);
        // 422: a bad form. Start again with a new store.
        var msg = describe(errorsOf(answer)) || ('HTTP ' + answer.status);
        return load().then(function () { setState('anonymous', msg, true); });
      })
      .catch(function (e) { setState('error', 'Sign-in failed: ' + e.message, true); })
      .then(function () { $('submit').disabled = false; });
  }

  // openAction opens a GET action (Google, OpenID Connect) in a window with
  // the store token in the query, then polls /auth/ with the cookie.
  function openAction(action) {
    var sep = action.url.indexOf('?') >= 0 ? '&' : '?';
    var win = window.open(action.url + sep + encodeURIComponent(cookieName) + '=' + encodeURIComponent(storeToken),
      'authing-' + (action.code || 'signin'), 'width=520,height=640');
    setState('waiting', 'Finish the sign-in in the window that opened…');
    var before = -1;
    var started = Date.now();
    stopPolling();
    poller = setInterval(function () {
      api('GET', prefix + '/auth/').then(function (answer) {
        if (answer.status === 200) {
          show(answer);
          return;
        }
        var n = errorsOf(answer).length;
        if (before < 0) {
          before = n;
        } else if (n > before) {
          stopPolling();
          show(answer);
          return;
        }
        if (Date.now() - started > 5 * 60 * 1000 || (win && win.closed && Date.now() - started > 3000 && n === before)) {
          stopPolling();
          show(answer);
        }
      });
    }, 1000);
  }

  function stopPolling() {
    if (poller !== null) {
      clearInterval(poller);
      poller = null;
    }
  }

  function logout() {
    stopPolling();
    api('POST', prefix + '/logout/', { session: true }).then(function (answer) {
      sessionStorage.removeItem(sessionKey);
      if (answer.status !== 204) {
        setState('error', 'Sign-out failed (HTTP ' + answer.status + ')', true);
        return;
      }
      return load().then(function () { setState('anonymous', 'Signed out.'); });
    });
  }

  $('login-form').addEventListener('submit', signIn);
  $('logout').addEventListener('click', logout);
  $('refresh').addEventListener('click', function () { load(); });
  load();
})();
