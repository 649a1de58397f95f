/* The check-in page's service worker (issue 18; docs/CHECKIN.md), served at /checkin-sw.js so that its
   scope covers /sessions/<id>/checkin. It keeps the last copy of each check-in page and the static files,
   so that the page reloads with the link down; with the link up the network always answers first.
   The copies hold names: checkin-offline.js deletes this cache on sign-out and when the session ends.
   Requests that change anything (POST, the JSON API) are never touched: their events wait in IndexedDB. */
'use strict';

var PAGE_CACHE = 'dialogue-desk-checkin-pages';
var CHECKIN_PAGE = /^\/sessions\/\d+\/checkin$/;

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) { return; }
  var isPage = request.mode === 'navigate' && CHECKIN_PAGE.test(url.pathname);
  var isStatic = url.pathname.indexOf('/static/') === 0;
  if (!isPage && !isStatic) { return; }
  // A page is kept by its path: whatever was searched, offline it reloads as the last copy of the list.
  var key = isPage ? url.origin + url.pathname : request;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGE_CACHE).then(function (cache) { return cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(key).then(function (kept) { return kept || Response.error(); });
  }));
});
