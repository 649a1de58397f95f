/* Check-in that survives a dropped link (issue 18; docs/CHECKIN.md).

   Every check-in, undo and walk-in on the page becomes an event, with the link up or down (a random client id, the device's
   time, this browser's device id), applied on the page at once and kept in IndexedDB until the server
   has it. The page shows how many wait and how many names the device holds; events go to the server
   when the link comes back, when the page loads and on "Sync now" (no Background Sync). The server
   takes each client id once, so sending a batch again is harmless.

   The device keeps the session's list (names, search keys, statuses: GET .../checkin/roster) only on
   the session's day; it is wiped on sign-out, when the session has ended, and when the server stops
   giving it. Offline search folds the query with the server's own tables (forums/people/names.py).

   Also loaded on the sign-out page: a form marked data-wipe-device wipes the names before it is sent. */
(function () {
  'use strict';

  var DB_NAME = 'dialogue-desk-checkin';
  var PAGE_CACHE = 'dialogue-desk-checkin-pages';
  var DEVICE_KEY = 'dialogue-desk-device';
  //: events per request; the server takes up to 1000
  var BATCH = 500;

  function done(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  var opened = null;
  function database() {
    if (!opened) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore('events', {keyPath: 'client_id'});
        request.result.createObjectStore('rosters', {keyPath: 'key'});
      };
      opened = done(request);
    }
    return opened;
  }

  // One request per transaction: IndexedDB commits a transaction as soon as it has nothing left to do.
  function withStore(name, mode, action) {
    return database().then(function (db) { return done(action(db.transaction(name, mode).objectStore(name))); });
  }

  // Names leave the device: every session's list and the cached pages. Events still waiting stay, to be sent
  // by the next sign-in of the same person (they hold ids and times, and a walk-in's typed name).
  function wipeNames() {
    var pages = window.caches ? caches.delete(PAGE_CACHE) : Promise.resolve();
    return Promise.all([withStore('rosters', 'readwrite', function (s) { return s.clear(); }), pages])
      .catch(function () { /* nothing stored */ });
  }

  document.querySelectorAll('form[data-wipe-device]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      wipeNames().then(function () { form.submit(); });
    }, {once: true});
  });

  var section = document.getElementById('checkin-offline');
  if (!section || !window.indexedDB) { return; }
  var cfg = section.dataset;
  var sessionId = Number(cfg.session);
  var userId = Number(cfg.user);
  var rosterKey = userId + '/' + sessionId;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var tables = JSON.parse(cfg.fold);
  var folds = tables.folds.map(function (pair) { return [new RegExp(pair[0], 'g'), pair[1]]; });

  // forums.people.names.search_key, with the tables the server sent.
  function searchKey(text) {
    var latin = Array.from(text.normalize('NFKC').toLowerCase()).map(function (letter) {
      return Object.prototype.hasOwnProperty.call(tables.letters, letter) ? tables.letters[letter] : letter;
    }).join('');
    var plain = latin.normalize('NFKD').replace(/\p{M}/gu, '');
    return plain.replace(/[^a-z0-9]+/g, ' ').trim().split(' ').filter(Boolean).map(function (word) {
      folds.forEach(function (fold) { word = word.replace(fold[0], fold[1]); });
      return word;
    }).join(' ');
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  var deviceId = localStorage.getItem(DEVICE_KEY);
  if (!deviceId) {
    deviceId = randomId();
    localStorage.setItem(DEVICE_KEY, deviceId);
  }

  var roster = null;  // {key, holds_until, items: [{registration_id, name, key, status, expected, before?}]}
  var queue = [];     // this user's events for this session not yet taken by the server, oldest first
  var linkUp = navigator.onLine;
  var refusal = '';   // the server's words when it answered but would not take the queue (signed out, ...)
  var sequence = Date.now();
  var answered = {};  // the server's answer per client id taken while this page is open

  var waiting = document.getElementById('checkin-waiting');
  var holds = document.getElementById('checkin-holds');
  var link = document.getElementById('checkin-link');
  var offlinePanel = document.getElementById('checkin-offline-panel');

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) { return String(values[name]); });
  }

  function show() {
    waiting.textContent = fill(cfg.msgWaiting, {n: queue.length});
    holds.textContent = fill(cfg.msgHolds, {n: roster ? roster.items.length : 0});
    link.textContent = linkUp ? refusal : cfg.msgOffline;
    section.classList.toggle('is-offline', !linkUp);
    // The panel from local data while the server cannot be asked: heads only, marked not yet synced.
    offlinePanel.hidden = linkUp && !queue.length;
    if (!offlinePanel.hidden && roster) {
      var attended = roster.items.filter(function (item) { return item.status === 'attended'; }).length;
      var expected = roster.items.filter(function (item) { return item.expected; }).length;
      offlinePanel.textContent = fill(cfg.msgPanel, {attended: attended, expected: expected});
    }
  }

  function saveRoster() {
    return roster ? withStore('rosters', 'readwrite', function (s) { return s.put(roster); }) : Promise.resolve();
  }

  function itemOf(registrationId) {
    if (!roster || !registrationId) { return null; }
    return roster.items.find(function (item) { return item.registration_id === registrationId; }) || null;
  }

  // What an event does to the device's copy of the list (the server decides for good when it arrives).
  function applyLocally(event) {
    if (!roster) { return; }
    if (event.kind === 'walk_in') {
      roster.items.push({registration_id: null, client_id: event.client_id, name: event.walk_in.name,
                         key: searchKey(event.walk_in.name), status: 'attended', expected: true});
      return;
    }
    var item = itemOf(event.registration_id);
    if (!item) { return; }
    if (event.kind === 'check_in' && item.status !== 'attended') {
      item.before = item.status;
      item.status = 'attended';
      item.expected = true;
    } else if (event.kind === 'undo' && item.status === 'attended') {
      item.status = item.before || 'confirmed';
    }
  }

  function announce(name, detail) {
    document.dispatchEvent(new CustomEvent(name, {detail: detail}));
  }

  var syncing = null;
  // Send what waits, oldest first, in batches; true when everything was taken.
  function sync() {
    if (syncing) { return syncing; }
    if (!queue.length) { return Promise.resolve(true); }
    var batch = queue.slice(0, BATCH);
    var body = batch.map(function (event) {
      var sent = {client_id: event.client_id, kind: event.kind, device_id: event.device_id, device_at: event.device_at};
      if (event.registration_id) { sent.registration_id = event.registration_id; }
      if (event.walk_in) { sent.walk_in = event.walk_in; }
      return sent;
    });
    syncing = fetch(cfg.eventsUrl, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Accept': 'application/json', 'Content-Type': 'application/json',
                'X-CSRFToken': csrfMeta ? csrfMeta.content : ''},
      body: JSON.stringify({events: body})
    }).then(function (response) {
      if (response.ok) { return response.json(); }
      // The link works but the queue was not taken: say why, keep every event for the next try.
      linkUp = true;
      return response.json().then(function (data) { return data; }, function () { return {}; }).then(function (data) {
        refusal = (data.error && data.error.message) || String(response.status);
        throw new Error(refusal);
      });
    }).then(function (answer) {
      linkUp = true;
      refusal = '';
      answer.items.forEach(function (item) { answered[item.client_id] = item; });
      queue = queue.filter(function (event) { return !answered[event.client_id]; });
      answer.items.forEach(function (item) {
        var local = roster && roster.items.find(function (line) {
          return (line.client_id && line.client_id === item.client_id) || (item.registration_id && line.registration_id === item.registration_id);
        });
        if (local && item.status) { local.status = item.status; local.registration_id = item.registration_id; delete local.client_id; }
      });
      return Promise.all(batch.map(function (event) {
        return withStore('events', 'readwrite', function (s) { return s.delete(event.client_id); });
      })).then(saveRoster).then(function () {
        announce('checkin:synced', answer);
        return queue.length ? (syncing = null, sync()) : true;
      });
    }).catch(function (error) {
      if (!refusal || error.message !== refusal) { linkUp = false; }
      return false;
    }).then(function (result) {
      syncing = null;
      show();
      return result;
    });
    return syncing;
  }

  // Take the session's list afresh (only on its day); keep unsynced events applied on top of it.
  function refreshRoster() {
    return fetch(cfg.rosterUrl, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (answer) {
        linkUp = true;
        if (!answer.items.length) {
          roster = null;
          return withStore('rosters', 'readwrite', function (s) { return s.delete(rosterKey); });
        }
        roster = {key: rosterKey, holds_until: answer.holds_until, items: answer.items};
        queue.forEach(applyLocally);
        return saveRoster();
      }).catch(function () { linkUp = false; }).then(show);
  }

  function record(kind, registrationId, extra) {
    var event = Object.assign({
      client_id: randomId(), kind: kind, device_id: deviceId, device_at: new Date().toISOString(),
      session_id: sessionId, user_id: userId, seq: ++sequence
    }, registrationId ? {registration_id: registrationId} : {}, extra || {});
    applyLocally(event);
    queue.push(event);
    show();
    return withStore('events', 'readwrite', function (s) { return s.put(event); })
      .then(saveRoster)
      .then(function () { sync(); return event; });
  }

  // The device's list narrowed by a query, as the server's search would (every folded word in the key).
  function localSearch(query) {
    if (!roster) { return null; }
    var words = searchKey(query).split(' ').filter(Boolean);
    return roster.items.filter(function (item) {
      return item.registration_id && words.every(function (word) { return item.key.indexOf(word) !== -1; });
    }).slice(0, 100).map(function (item) {
      return {registration_id: item.registration_id, name: item.name, status: item.status, checked_in_at: null};
    });
  }

  function syncAndRefresh() {
    return sync().then(function (allSent) { return allSent ? refreshRoster() : show(); });
  }

  // The session is over: its names leave the device, also on a page left open.
  function wipeIfOver() {
    if (!roster || !roster.holds_until || new Date(roster.holds_until) >= new Date()) { return Promise.resolve(); }
    roster = null;
    return wipeNames().then(show);
  }
  setInterval(wipeIfOver, 60 * 1000);

  window.checkinOffline = {
    ready: Promise.all([
      withStore('events', 'readonly', function (s) { return s.getAll(); }),
      withStore('rosters', 'readonly', function (s) { return s.get(rosterKey); })
    ]).then(function (stored) {
      queue = stored[0].filter(function (event) { return event.user_id === userId && event.session_id === sessionId; })
        .sort(function (a, b) { return a.seq - b.seq; });
      sequence = Math.max(sequence, queue.length ? queue[queue.length - 1].seq : 0);
      roster = stored[1] || null;
      return wipeIfOver();
    }).then(function () {
      show();
      section.hidden = false;
      return syncAndRefresh();
    }),
    record: record,
    localSearch: localSearch,
    isLinkUp: function () { return linkUp && navigator.onLine; },
    statusBefore: function (registrationId) {
      var item = itemOf(registrationId);
      return item && item.before;
    }
  };

  document.getElementById('checkin-sync-now').addEventListener('click', syncAndRefresh);
  window.addEventListener('online', syncAndRefresh);
  window.addEventListener('offline', function () { linkUp = false; show(); });

  // The walk-in form: with JavaScript a walk-in is an event whether the link is up or down, applied here at
  // once and sent right away when it can be. The server registers the new person and its duplicate finder
  // flags anyone they resemble for staff, never merging (docs/CHECKIN.md, rule 4). As the form without
  // JavaScript does, people on the session's list with that name are shown first (the door search above
  // lists them, from the device's list): the facilitator checks one of them in or ticks "None of them".
  var walkIn = document.getElementById('walk-in-form');
  if (walkIn) {
    var likely = document.getElementById('walk-in-likely');
    var newPerson = document.getElementById('walk-in-new-person');
    var doorSearch = document.getElementById('checkin-q');
    walkIn.addEventListener('submit', function (event) {
      event.preventDefault();
      var fields = JSON.parse(walkIn.dataset.categoryFields);
      var categories = {};
      Object.keys(fields).forEach(function (dimension) {
        var value = walkIn.elements[fields[dimension]].value;
        if (value) { categories[dimension] = value; }
      });
      var name = walkIn.elements.name.value.trim();
      if (!name) { return; }
      var matches = localSearch(name);
      if (matches && matches.length && !newPerson.checked) {
        likely.hidden = false;
        doorSearch.value = name;
        doorSearch.form.requestSubmit();
        return;
      }
      var message = document.getElementById('checkin-message');
      record('walk_in', null, {walk_in: {name: name, organisation: walkIn.elements.organisation.value.trim(),
                                         categories: categories}}).then(function (recorded) {
        walkIn.reset();
        likely.hidden = true;
        return sync().then(function () {
          var answer = answered[recorded.client_id];
          if (!answer) {
            message.textContent = fill(cfg.msgWalkIn, {name: name});
          } else if (answer.status) {
            message.textContent = fill(cfg.msgWalkInDone, {name: name});
          } else {
            message.textContent = Object.keys(answer.fields || {}).map(function (field) {
              return answer.fields[field];
            }).join(' ');
          }
        });
      });
    });
  }

  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(cfg.workerUrl).catch(function () { /* works without it while open */ });
  }
})();
