// A small EXIF GPS reader: finds the TIFF/EXIF block of a JPEG (APP1), PNG (eXIf),
// WebP (EXIF chunk) or HEIC ("Exif\0\0" item) and returns {lat, lon} or null.
// Only headers are read; nothing leaves the device. Never throws.
(function (root) {
  "use strict";

  function ascii(view, offset, length) {
    var out = "";
    for (var i = 0; i < length && offset + i < view.byteLength; i++) { out += String.fromCharCode(view.getUint8(offset + i)); }
    return out;
  }

  function isTiffHeader(view, offset) {
    if (offset + 8 > view.byteLength) { return false; }
    var order = ascii(view, offset, 2);
    if (order === "II") { return view.getUint16(offset + 2, true) === 42; }
    if (order === "MM") { return view.getUint16(offset + 2, false) === 42; }
    return false;
  }

  // Where the TIFF header starts, or -1.
  function findTiff(view) {
    var length = view.byteLength;
    if (length < 12) { return -1; }
    if (view.getUint16(0) === 0xFFD8) {  // JPEG: walk the segments up to the first scan
      var pos = 2;
      while (pos + 4 <= length && view.getUint8(pos) === 0xFF) {
        var marker = view.getUint8(pos + 1);
        if (marker === 0xDA || marker === 0xD9) { break; }
        var size = view.getUint16(pos + 2);
        if (marker === 0xE1 && ascii(view, pos + 4, 6) === "Exif\0\0" && isTiffHeader(view, pos + 10)) { return pos + 10; }
        pos += 2 + size;
      }
      return -1;
    }
    // Other containers: look for the EXIF block in the first 512 KB.
    var limit = Math.min(length - 8, 512 * 1024);
    for (var i = 0; i < limit; i++) {
      var c = view.getUint8(i);
      if (c === 0x45 /* E */ && ascii(view, i, 6) === "Exif\0\0" && isTiffHeader(view, i + 6)) { return i + 6; }
      if (c === 0x65 /* e */ && ascii(view, i, 4) === "eXIf" && isTiffHeader(view, i + 4)) { return i + 4; }
      if (c === 0x45 && ascii(view, i, 4) === "EXIF" && isTiffHeader(view, i + 8)) { return i + 8; }
    }
    return -1;
  }

  function readRationals(view, tiff, offset, count, little) {
    var values = [];
    for (var i = 0; i < count; i++) {
      var at = tiff + offset + i * 8;
      if (at + 8 > view.byteLength) { return null; }
      var num = view.getUint32(at, little), den = view.getUint32(at + 4, little);
      values.push(den ? num / den : NaN);
    }
    return values;
  }

  // Entries of the IFD at tiff+offset: {tag: {type, count, valueOffset, inline}}.
  function readIfd(view, tiff, offset, little) {
    var entries = {};
    var at = tiff + offset;
    if (at + 2 > view.byteLength) { return entries; }
    var n = view.getUint16(at, little);
    for (var i = 0; i < n && i < 512; i++) {
      var e = at + 2 + i * 12;
      if (e + 12 > view.byteLength) { break; }
      entries[view.getUint16(e, little)] = {
        type: view.getUint16(e + 2, little), count: view.getUint32(e + 4, little),
        value: view.getUint32(e + 8, little), inlineAt: e + 8
      };
    }
    return entries;
  }

  function toDegrees(dms) {
    if (!dms || dms.length < 3 || dms.some(isNaN)) { return NaN; }
    return dms[0] + dms[1] / 60 + dms[2] / 3600;
  }

  function readGps(buffer) {
    try {
      var view = new DataView(buffer);
      var tiff = findTiff(view);
      if (tiff < 0) { return null; }
      var little = ascii(view, tiff, 2) === "II";
      var ifd0 = readIfd(view, tiff, view.getUint32(tiff + 4, little), little);
      var pointer = ifd0[0x8825];
      if (!pointer) { return null; }
      var gps = readIfd(view, tiff, pointer.value, little);
      if (!gps[2] || !gps[4]) { return null; }
      var latRef = gps[1] ? String.fromCharCode(view.getUint8(gps[1].inlineAt)) : "N";
      var lonRef = gps[3] ? String.fromCharCode(view.getUint8(gps[3].inlineAt)) : "E";
      var lat = toDegrees(readRationals(view, tiff, gps[2].value, 3, little));
      var lon = toDegrees(readRationals(view, tiff, gps[4].value, 3, little));
      if (latRef === "S") { lat = -lat; }
      if (lonRef === "W") { lon = -lon; }
      if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180 || (lat === 0 && lon === 0)) {
        return null;
      }
      return { lat: lat, lon: lon };
    } catch (e) {
      return null;
    }
  }

  root.MMExif = { readGps: readGps };
})(typeof self !== "undefined" ? self : this);
