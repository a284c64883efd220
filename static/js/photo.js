/*
 * Digits.photo: uploads made small enough to send. A phone photo (12 megapixels, 3-6 MB) is
 * over the server's body limit, so an image over MAX_BYTES or over MAX_SIDE pixels on a side
 * is drawn into a canvas whose long side is at most MAX_SIDE, upright as its EXIF orientation
 * says, and sent as a JPEG. Smaller files, and files the browser cannot decode (the server says
 * what is wrong with them), are sent as they are.
 */
(function () {
  'use strict';

  var D = window.Digits;

  var MAX_BYTES = 2 * 1000 * 1000;
  var MAX_SIDE = 2000;
  var QUALITY = 0.9;

  // Resolve to {blob, name}: the file itself, or its scaled-down JPEG copy.
  function prepare(file) {
    var asIs = { blob: file, name: file.name || 'upload' };
    if (typeof createImageBitmap !== 'function') return Promise.resolve(asIs);
    return createImageBitmap(file, { imageOrientation: 'from-image' })
      .then(function (bitmap) {
        var longSide = Math.max(bitmap.width, bitmap.height);
        if (file.size <= MAX_BYTES && longSide <= MAX_SIDE) {
          bitmap.close();
          return asIs;
        }
        return scaled(bitmap, Math.min(1, MAX_SIDE / longSide)).then(function (blob) {
          return blob ? { blob: blob, name: jpegName(asIs.name) } : asIs;
        });
      })
      .catch(function () { return asIs; });
  }

  // The bitmap drawn at `scale` on white paper (a transparent area would turn black) as a JPEG.
  function scaled(bitmap, scale) {
    var canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    var context = canvas.getContext('2d');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return new Promise(function (resolve) {
      canvas.toBlob(resolve, 'image/jpeg', QUALITY);
    });
  }

  function jpegName(name) {
    return name.replace(/\.[^.]*$/, '') + '.jpg';
  }

  // Read a blob as a data URL.
  function dataURL(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(blob);
    });
  }

  D.photo = { prepare: prepare, dataURL: dataURL, MAX_BYTES: MAX_BYTES, MAX_SIDE: MAX_SIDE };
}());
