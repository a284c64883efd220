/*
 * Digits.client: talking to the server. A channel sends one request at a time: every request
 * gets an increasing sequence number and the previous one is aborted, so a stale answer can
 * never overwrite a newer one. Each panel that asks the server keeps its own channel.
 */
(function () {
  'use strict';

  var D = window.Digits;

  // Read a response body as JSON when possible; otherwise null.
  function readBody(response) {
    return response.text().then(function (text) {
      try { return JSON.parse(text); } catch (e) { return null; }
    });
  }

  // A request channel: `send(url, init, onAnswer, onFailure)` calls onAnswer(response, data)
  // or onFailure(error) only while that request is still the latest; `invalidate()` aborts it.
  function channel() {
    var seq = 0;
    var controller = null;

    function invalidate() {
      seq += 1;
      if (controller) controller.abort();
      controller = null;
    }

    function send(url, init, onAnswer, onFailure) {
      invalidate();
      var mine = seq;
      controller = typeof AbortController === 'function' ? new AbortController() : null;
      if (controller) init.signal = controller.signal;
      fetch(url, init)
        .then(function (response) {
          return readBody(response).then(function (data) { return { response: response, data: data }; });
        })
        .then(function (r) {
          if (mine !== seq) return;
          controller = null;
          onAnswer(r.response, r.data);
        })
        .catch(function (err) {
          if (mine !== seq || (err && err.name === 'AbortError')) return;
          controller = null;
          onFailure(err);
        });
      return mine;
    }

    return {
      send: send,
      invalidate: invalidate,
      current: function () { return seq; }
    };
  }

  // Human-readable message for an error response without a JSON body.
  function fallbackMessage(response) {
    var s = response.status;
    if (s === 413) return 'That image is too large for the server.';
    if (s === 400) return 'The server could not read that image.';
    if (s === 415) return 'That file type is not supported.';
    if (s === 429) return 'Too many requests; please wait a moment and try again.';
    if (s >= 500) return 'The server had a problem (HTTP ' + s + '). Please try again.';
    return 'The request failed (HTTP ' + s + ').';
  }

  // The server's own error message as a sentence, or the fallback for the status.
  function errorMessage(response, data) {
    var serverMessage = data && typeof data.error === 'string' ? sentence(data.error) : '';
    return serverMessage || fallbackMessage(response);
  }

  // Capitalise the first letter and end with a full stop, for display.
  function sentence(text) {
    var t = text.trim();
    if (!t) return '';
    t = t.charAt(0).toUpperCase() + t.slice(1);
    return /[.!?…]$/.test(t) ? t : t + '.';
  }

  function describe(err) {
    return (err && err.message) ? err.message : String(err || 'unknown error');
  }

  // JSON POST options for a body object.
  function jsonInit(body) {
    return { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  }

  D.client = {
    channel: channel,
    jsonInit: jsonInit,
    errorMessage: errorMessage,
    sentence: sentence,
    describe: describe
  };
}());
