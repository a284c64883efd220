/*
 * Digits.explain: the "How it decided" panel. After each digit answer (`digits:answer`) it asks
 * /api/explain about the same image, while the panel is open (on opening, for the answer on
 * show), and shows the saliency over the 28x28 input, each convolution block's feature maps as
 * small multiples and the MLP baseline's answer beside the CNN's. Closed by default on narrow
 * screens. #explain's data-state: "empty", "pending", "done" or "error".
 */
(function () {
  'use strict';

  var D = window.Digits;
  var WIDE = '(min-width: 820px)';
  var URL = '/api/explain';

  var panel = document.getElementById('explain');
  var details = document.getElementById('explain-details');
  var message = document.getElementById('explain-message');
  var body = document.getElementById('explain-body');
  var saliency = document.getElementById('saliency');
  var cnnAnswer = document.getElementById('cnn-answer');
  var mlpAnswer = document.getElementById('mlp-answer');
  var layers = document.getElementById('layers');

  var channel = D.client.channel();
  var latest = null;      // the answer on show: {image, answer}, or null
  var explained = null;   // the answer whose explanation is on show or on its way

  function setState(state, text) {
    panel.setAttribute('data-state', state);
    body.classList.toggle('is-stale', state === 'pending');
    if (text !== undefined) message.textContent = text;
    message.hidden = state === 'done';
    if (state === 'empty' || state === 'error') body.hidden = true;
  }

  function reset(text) {
    panel.removeAttribute('data-cnn-digit');
    panel.removeAttribute('data-mlp-digit');
    latest = null;
    explained = null;
    channel.invalidate();
    setState('empty', text || 'Draw a digit to see what the network looked at.');
  }

  // Ask about the answer on show, once, while the panel is open.
  function update() {
    if (!details.open || !latest || explained === latest) return;
    explained = latest;
    setState('pending', 'Looking closer…');
    channel.send(URL, D.client.jsonInit({ image: latest.image, top_k: D.settings.TOP_K }),
      function (response, data) {
        if (!response.ok) {
          setState('error', 'No explanation: ' + D.client.errorMessage(response, data));
        } else if (!valid(data)) {
          setState('error', 'The server sent an explanation this page does not understand.');
        } else {
          show(data);
        }
      },
      function (err) { setState('error', 'Could not reach the server: ' + D.client.describe(err)); });
  }

  function valid(data) {
    return data && D.answer.validPredictions(data.predictions).length > 0 &&
      D.answer.isImageURL(data.processed) && D.answer.isImageURL(data.saliency) &&
      Array.isArray(data.layers) && data.baseline && D.answer.validPredictions(data.baseline.predictions).length > 0;
  }

  function show(data) {
    var cnn = data.predictions[0];
    var mlp = data.baseline.predictions[0];
    cnnAnswer.textContent = describe(cnn, data.not_a_digit === true);
    mlpAnswer.textContent = describe(mlp, false);
    panel.setAttribute('data-cnn-digit', String(cnn.digit));
    panel.setAttribute('data-mlp-digit', String(mlp.digit));
    drawSaliency(data.processed, data.saliency, cnn.digit);
    layers.textContent = '';
    data.layers.forEach(function (layer, i) { layers.appendChild(layerFigure(layer, i)); });
    body.hidden = false;
    setState('done');
  }

  function describe(p, rejected) {
    var text = p.digit + ' (' + D.answer.percent(p.confidence) + ')';
    return rejected ? 'not a digit; closest ' + text : text;
  }

  // The saliency as a warm glow over the dimmed 28x28 input, drawn off-screen into the panel's image.
  function drawSaliency(processedURL, saliencyURL, digit) {
    saliency.alt = 'Saliency map over the 28 by 28 input the model saw: the strokes that mattered most ' +
      'to the answer ' + digit + ' glow brightest';
    Promise.all([load(processedURL), load(saliencyURL)]).then(function (images) {
      var off = document.createElement('canvas');
      off.width = 28;
      off.height = 28;
      var context = off.getContext('2d', { willReadFrequently: true });
      var base = pixels(context, images[0]);
      var heat = pixels(context, images[1]);
      var out = context.createImageData(28, 28);
      for (var i = 0; i < out.data.length; i += 4) {
        var ink = base.data[i] * 0.45;
        var glow = heat.data[i] / 255;
        out.data[i] = Math.min(255, ink + 255 * glow);
        out.data[i + 1] = Math.min(255, ink + 190 * glow * glow);
        out.data[i + 2] = Math.min(255, ink + 40 * glow * glow * glow);
        out.data[i + 3] = 255;
      }
      context.putImageData(out, 0, 0);
      saliency.src = off.toDataURL('image/png');
    }).catch(function () { /* the alternative text still describes it */ });
  }

  function load(url) {
    return new Promise(function (resolve, reject) {
      var image = new Image();
      image.onload = function () { resolve(image); };
      image.onerror = reject;
      image.src = url;
    });
  }

  function pixels(context, image) {
    context.clearRect(0, 0, 28, 28);
    context.drawImage(image, 0, 0, 28, 28);
    return context.getImageData(0, 0, 28, 28);
  }

  // One block's feature maps: a heading and a grid of small images, each with its own text.
  function layerFigure(layer, index) {
    var maps = Array.isArray(layer.maps) ? layer.maps.filter(D.answer.isImageURL) : [];
    var shape = Array.isArray(layer.shape) ? layer.shape : [];
    var title = 'Convolution block ' + (index + 1);
    var figure = document.createElement('figure');
    figure.className = 'layer';
    figure.setAttribute('data-layer', String(layer.name));
    var caption = document.createElement('figcaption');
    caption.textContent = title + ': ' + maps.length + ' feature maps' +
      (shape.length === 3 ? ', ' + shape[0] + '×' + shape[1] + ' each' : '') + ' (brighter = stronger response)';
    var grid = document.createElement('div');
    grid.className = 'maps';
    maps.forEach(function (url, k) {
      var img = document.createElement('img');
      img.src = url;
      img.alt = title + ', feature map ' + (k + 1) + ' of ' + maps.length;
      img.width = 28;
      img.height = 28;
      grid.appendChild(img);
    });
    figure.appendChild(caption);
    figure.appendChild(grid);
    return figure;
  }

  document.addEventListener('digits:answer', function (e) {
    if (e.detail.mode !== 'digit') { reset(); return; }
    latest = { image: e.detail.image };
    update();
  });
  document.addEventListener('digits:pending', function () {
    channel.invalidate();
    explained = null;
    if (panel.getAttribute('data-state') === 'done') setState('pending', 'Waiting for the new answer…');
  });
  document.addEventListener('digits:cleared', function () { reset(); });
  document.addEventListener('digits:error', function () {
    reset('No explanation without an answer.');
  });
  details.addEventListener('toggle', update);

  if (window.matchMedia && window.matchMedia(WIDE).matches) details.open = true;

  D.explain = { update: update };
}());
