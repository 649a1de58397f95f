/* Check-in page: narrow the list while typing, check in and undo without reloading, keep the
   live panel fresh. Everything works without this file (plain forms); it only saves round trips.
   Calls the JSON API with the page's cookie and the CSRF token from <meta name="csrf-token">. */
(function () {
  'use strict';

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : '';

  function api(method, url, body) {
    var options = {method: method, credentials: 'same-origin',
                   headers: {'Accept': 'application/json', 'X-CSRFToken': csrf}};
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.ok) { return response.json(); }
      return response.json().then(
        function (data) { throw new Error(data.error && data.error.message); },
        function () { throw new Error(''); });
    });
  }

  // crypto.randomUUID needs a secure context; a branch office may serve the app over plain HTTP.
  function newRequestId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  document.querySelectorAll('.js-print').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () { window.print(); });
  });

  var table = document.getElementById('checkin-list');
  if (!table) { return; }
  var data = table.dataset;
  var labels = JSON.parse(data.statusLabels);
  var body = table.tBodies[0];
  var prototype = document.getElementById('checkin-row');
  var message = document.getElementById('checkin-message');
  var empty = document.getElementById('checkin-empty');
  var more = document.getElementById('checkin-more');
  var input = document.getElementById('checkin-q');

  function say(text) { message.textContent = text || ''; }

  function clockTime(iso) {
    try {
      return new Date(iso).toLocaleTimeString(data.lang, {hour: '2-digit', minute: '2-digit', timeZone: data.zone});
    } catch (error) {
      return iso.slice(11, 16);
    }
  }

  // Show a registration's state in its line: status, time, and which of the two buttons applies.
  function showState(tr, status, checkedInAt) {
    tr.dataset.status = status;
    tr.querySelector('.checkin-state').textContent = labels[status] || status;
    var cell = tr.querySelector('.checkin-time');
    cell.textContent = '';
    if (checkedInAt) {
      var time = document.createElement('time');
      time.dateTime = checkedInAt;
      time.textContent = clockTime(checkedInAt);
      cell.appendChild(time);
    }
    tr.querySelector('.js-checkin').hidden = status === 'attended';
    tr.querySelector('.js-undo').hidden = status !== 'attended';
  }

  function lineFor(item) {
    var tr = prototype.content.firstElementChild.cloneNode(true);
    var base = data.pageUrl + '/' + item.registration_id;
    tr.dataset.registration = item.registration_id;
    tr.querySelector('.checkin-name').textContent = item.name;
    tr.querySelectorAll('.checkin-button-name').forEach(function (span) { span.textContent = item.name; });
    tr.querySelector('.js-checkin').action = base;
    tr.querySelector('.js-undo').action = base + '/undo';
    tr.querySelector('.js-checkin [name="request_id"]').value = newRequestId();
    tr.querySelectorAll('[name="q"]').forEach(function (field) { field.value = input.value; });
    showState(tr, item.status, item.checked_in_at);
    return tr;
  }

  // The events queue of checkin-offline.js, when this browser has IndexedDB.
  var offline = window.checkinOffline;

  function showList(items, next) {
    body.replaceChildren.apply(body, items.map(lineFor));
    empty.hidden = items.length > 0;
    more.textContent = next ? data.msgMore : '';
  }

  // With the link down the device's own list answers (names kept for the session's day only).
  function searchOnDevice(query) {
    var items = offline && offline.localSearch(query);
    if (!items) { return false; }
    showList(items, items.length >= 100);
    return true;
  }

  var searchNumber = 0;
  // keepMessage: leave what the page just said (after a check-in) in place.
  function search(keepMessage) {
    var mine = ++searchNumber;
    var query = input.value;
    if (offline && !offline.isLinkUp() && searchOnDevice(query)) { return; }
    api('GET', data.api + '?limit=100&q=' + encodeURIComponent(query)).then(function (answer) {
      if (mine !== searchNumber) { return; }  // a later keystroke's answer wins
      if (keepMessage !== true) { say(''); }
      showList(answer.items, answer.next);
      history.replaceState(null, '', data.pageUrl + (query ? '?q=' + encodeURIComponent(query) : ''));
    }).catch(function (error) {
      if (mine === searchNumber && !searchOnDevice(query)) { say(error.message || data.msgOffline); }
    });
  }

  var typingTimer;
  input.addEventListener('input', function () {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { search(); }, 250);
  });
  input.form.addEventListener('submit', function (event) {
    event.preventDefault();
    clearTimeout(typingTimer);
    search();
  });

  // What the page says after a check-in or an undo: the person's name, since the list is emptied for the next one.
  function outcome(checkingIn, tr) {
    var name = tr.querySelector('.checkin-name').textContent;
    return (checkingIn ? data.msgCheckedIn : data.msgUndone).replace('{name}', name);
  }

  // After a check-in the search is emptied and takes the focus, ready for the next person at the door.
  function readyForNext() {
    input.value = '';
    input.focus();
    search(true);
  }

  table.addEventListener('submit', function (event) {
    var form = event.target;
    var tr = form.closest('tr');
    var id = Number(tr.dataset.registration);
    var checkingIn = form.classList.contains('js-checkin');
    event.preventDefault();
    var button = form.querySelector('button');
    button.disabled = true;
    if (offline) {
      // An event, applied here at once and sent when the link allows (checkin-offline.js).
      var before = offline.statusBefore(id) || 'confirmed';
      offline.record(checkingIn ? 'check_in' : 'undo', id).then(function (recorded) {
        showState(tr, checkingIn ? 'attended' : before, checkingIn ? recorded.device_at : null);
        say(outcome(checkingIn, tr));
        if (checkingIn) { readyForNext(); }
      }).catch(function () { say(data.msgOffline); }).then(function () { button.disabled = false; });
      return;
    }
    // A retry after a failed call reuses the same request id, so it can never count twice.
    var call = checkingIn
      ? api('POST', data.api, {registration_id: id, request_id: form.elements.request_id.value})
      : api('DELETE', data.api + '/' + id);
    call.then(function (registration) {
      showState(tr, registration.status, registration.checked_in_at);
      if (checkingIn) { form.elements.request_id.value = newRequestId(); }
      say(outcome(checkingIn, tr));
      refreshPanel(false);
      if (checkingIn) { readyForNext(); }
    }).catch(function (error) {
      say(error.message || data.msgOffline);
    }).then(function () { button.disabled = false; });
  });

  // The live panel: poll the counts; fetch the panel's HTML only when they changed.
  var panel = document.getElementById('checkin-panel');
  var lastStamp = null;

  function refreshPanel(fromTimer) {
    return api('GET', panel.dataset.summaryUrl).then(function (summary) {
      var counts = summary.attended + '/' + summary.expected + '/' + summary.seated;
      var stamp = counts + '/' + JSON.stringify(summary.balance);
      // The first answer is compared with the counts the page was rendered with.
      var changed = lastStamp === null ? counts !== panel.dataset.stamp : stamp !== lastStamp;
      lastStamp = stamp;
      if (!changed) { return; }
      return fetch(panel.dataset.panelUrl, {credentials: 'same-origin'}).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        var fresh = html && new DOMParser().parseFromString(html, 'text/html').getElementById('checkin-panel');
        if (fresh) { panel.replaceWith(fresh); panel = fresh; }
        // Someone else checked people in: show it in the list too, unless the reader is using it.
        if (fromTimer && !table.contains(document.activeElement)) { search(true); }
      });
    }).catch(function () { /* a weak link: try again at the next tick */ });
  }

  // The server has taken queued events: show what it made of them in the list and the panel.
  document.addEventListener('checkin:synced', function (event) {
    event.detail.items.forEach(function (item) {
      var tr = item.registration_id && body.querySelector('tr[data-registration="' + item.registration_id + '"]');
      if (tr && item.status) { showState(tr, item.status, tr.querySelector('time') && tr.querySelector('time').dateTime); }
    });
    refreshPanel(false);
  });

  setInterval(function () {
    if (!document.hidden) { refreshPanel(true); }
  }, Number(panel.dataset.refresh) * 1000);
})();
