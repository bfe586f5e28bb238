// The on-site pages follow their queue live. Plain JavaScript, no library.
//  - Every page with data-events: listens to the queue's server-sent events; the call
//    display redraws its numbers. The station and the confirmation screen reload (from
//    their own address, never re-posting a form) only when the number at the camera, its
//    stage, photo or fee changed; a check-in at the desk only updates the next numbers, so
//    a chosen file, the webcam and the reasons of a refusal stay on the screen.
//  - The station's webcam: shows the camera, takes a frame and posts it as the photo of
//    the number on the screen (the same form as an upload).
(function () {
  "use strict";
  var root = document.querySelector("[data-events]");
  if (root && window.EventSource) {
    var drawn = root.getAttribute("data-state");
    var atCamera = function (s) {
      return JSON.stringify([s.current, s.stage, s.photo, s.paid]);
    };
    var es = new EventSource(root.getAttribute("data-events"));
    es.addEventListener("state", function (e) {
      if (e.data === drawn) return;
      var s = JSON.parse(e.data);
      if (root.hasAttribute("data-redraw")) {
        drawn = e.data;
        var cur = document.getElementById("display-current");
        if (cur) cur.textContent = s.current === null ? "—" : String(s.current);
        var next = document.getElementById("display-next");
        if (next) next.textContent = s.next.join("  ");
      } else if (atCamera(s) !== atCamera(JSON.parse(drawn))) {
        window.location.replace(root.getAttribute("data-home"));
      } else {
        drawn = e.data;
        var upcoming = document.getElementById("next-numbers");
        if (upcoming) upcoming.textContent = s.next.join(" ");
      }
    });
  }

  var start = document.getElementById("webcam-start");
  if (start && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    start.hidden = false;
    var video = document.getElementById("webcam");
    var take = document.getElementById("webcam-take");
    start.addEventListener("click", function () {
      navigator.mediaDevices
        .getUserMedia({ video: { width: { ideal: 1920 }, height: { ideal: 1080 } } })
        .then(function (stream) {
          video.srcObject = stream;
          video.hidden = false;
          take.hidden = false;
          start.hidden = true;
        })
        .catch(function (err) {
          start.textContent = start.getAttribute("data-failed") + " (" + err.name + ")";
        });
    });
    take.addEventListener("click", function () {
      var form = document.getElementById("photo-form");
      var canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob(function (blob) {
        var data = new FormData(form);
        data.set("source", "webcam");
        data.set("photo", blob, "webcam.jpg");
        take.disabled = true;
        fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
          .then(function (r) { return r.text(); })
          .then(function (html) {
            document.open();
            document.write(html);
            document.close();
          });
      }, "image/jpeg", 0.95);
    });
  }
})();
