/*
 * "Wrong? Tell it": after a digit's answer, the person may say what the drawing really is.
 *
 * Listens to the page's `digits:answer`, `digits:pending`, `digits:error` and `digits:cleared`
 * events. Nothing is sent until the person picks a digit or "not a digit"; then the drawing that
 * was answered goes to POST /api/corrections and a thank-you replaces the choices. The section is
 * only in the page when the server collects corrections (DIGITS_COLLECT). Each drawing gets its own
 * Idempotency-Key, so a request retried (by the person or by a proxy) is stored once.
 */
(function () {
  'use strict';

  var section = document.getElementById('correct');
  if (!section) { return; }
  var open = document.getElementById('correct-open');
  var choices = document.getElementById('correct-choices');
  var status = document.getElementById('correct-status');
  var buttons = Array.prototype.slice.call(section.querySelectorAll('[data-label]'));
  var image = null;  // the data URL of the drawing last answered
  var key = null;  // its Idempotency-Key

  function newKey() {  // 128 random bits as hex; crypto.randomUUID needs HTTPS, this does not
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
  }

  function setBusy(busy) {
    buttons.forEach(function (button) { button.disabled = busy; });
  }

  function reset() {
    choices.hidden = true;
    open.hidden = false;
    open.setAttribute('aria-expanded', 'false');
    status.textContent = '';
    section.removeAttribute('data-state');
    setBusy(false);
  }

  function hide() {
    image = null;
    section.hidden = true;
    reset();
  }

  function show(detail) {
    if (detail.mode !== 'digit' || !detail.image) { hide(); return; }
    image = detail.image;
    key = newKey();
    reset();
    section.hidden = false;
  }

  function send(label) {
    if (!image) { return; }
    setBusy(true);
    status.textContent = 'Sending…';
    fetch('/api/corrections', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify({ image: image, label: label })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status !== 201) { throw new Error(body.error || 'the server could not keep it'); }
        choices.hidden = true;
        open.hidden = true;
        section.setAttribute('data-state', 'thanked');
        status.textContent = 'Thank you! The drawing is kept to improve the model.';
      });
    }).catch(function (error) {
      setBusy(false);
      section.setAttribute('data-state', 'failed');
      status.textContent = 'Not kept: ' + error.message;
    });
  }

  open.addEventListener('click', function () {
    var opening = choices.hidden;
    choices.hidden = !opening;
    open.setAttribute('aria-expanded', opening ? 'true' : 'false');
  });
  buttons.forEach(function (button) {
    button.addEventListener('click', function () { send(button.getAttribute('data-label')); });
  });
  document.addEventListener('digits:answer', function (event) { show(event.detail || {}); });
  ['digits:pending', 'digits:error', 'digits:cleared'].forEach(function (name) {
    document.addEventListener(name, hide);
  });
}());
