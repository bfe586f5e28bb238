// Scans a QR code with the camera where the browser has BarcodeDetector (Chrome on
// Android, Safari 17+): the text goes into the form's code field and the form is sent.
// Elsewhere the button stays hidden and the file field (which opens the camera on a
// phone) or pasting does the job.
(function () {
  "use strict";
  var button = document.getElementById("scan-start");
  var video = document.getElementById("scan-video");
  var field = document.getElementById("code");
  if (!button || !video || !field || !("BarcodeDetector" in window) ||
      !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        return video.play().then(function () {
          var tick = function () {
            detector.detect(video).then(function (codes) {
              if (codes.length > 0) {
                stream.getTracks().forEach(function (t) { t.stop(); });
                field.value = codes[0].rawValue;
                field.form.submit();
              } else {
                window.requestAnimationFrame(tick);
              }
            }, function () { window.requestAnimationFrame(tick); });
          };
          tick();
        });
      })
      .catch(function () {
        button.hidden = true;
        video.hidden = true;
      });
  });
})();
