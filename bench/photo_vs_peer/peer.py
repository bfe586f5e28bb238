"""The peer: the same jobs as gradphoto's engine, in Python with OpenCV and onnxruntime.

--job standardize (Engine::standardize): decode -> detect (MTCNN, the same three ONNX files
the engine embeds) -> the simple checks on the source (face luminance, Laplacian variance,
background colour) -> crop from the eyes and the face box -> resize to 480x640 (INTER_AREA)
-> JPEG with a quality search to fit 40 KB -> check of the output (decode it, detect again,
the same checks).
--job check (Engine::check): decode -> detect -> the simple checks.

Single-threaded on purpose (cv2.setNumThreads(1), onnxruntime intra/inter-op threads 1): the
engine's target is per core, and the server runs one photo per core.

The MTCNN pipeline is the standard one (TropComplique/mtcnn-pytorch, as ported to
onnxruntime by the `mtcnn-runtime` wheel the weights come from): pyramid from 12/min_face
with factor 0.709, P-Net threshold 0.6 (per-level NMS 0.5, across levels 0.7), R-Net 0.7
(NMS 0.7), O-Net 0.8 (NMS 0.7 over the smaller box) - the numbers the engine uses
(crates/gradphoto-photo/src/detect/). It is written out here rather than imported from the
wheel because the wheel hard-codes its own weight paths, creates sessions with default
(all-core) threading and pulls in `opencv-python` (which clashes with the headless build).

Decoding, image sizes and the smallest face follow the engine's own numbers (below): JPEGs
are decoded reduced in the DCT domain by libjpeg-turbo (IMREAD_REDUCED_COLOR_2/4/8) exactly
where the engine decodes reduced, faces are looked for down to 15 % of the shorter side.
cv2.imdecode applies the EXIF orientation, as the engine does. The peer does less than the
engine in places (no eye levelling by rotation, no head-top search, fewer checks), which
only flatters it.

Usage: python peer.py --models DIR [--job standardize|check] [--iters N] [--warmup N]
                      [--save DIR] FILE...
Prints one JSON line per file with stage medians (ms) and peak RSS.
"""

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

import cv2
import numpy as np
import onnxruntime as ort

OUT_W, OUT_H = 480, 640
# Spec::default(): eye line 200-300, face width 180-300 (aim at the middles), <= 40 KB,
# quality >= 60, light blue.
EYE_LINE_MID = 250.0
FACE_WIDTH_MID = 240.0
TARGET_MAX_BYTES = 40 * 1024
MIN_QUALITY = 60
BACKGROUND = (100, 197, 255)  # RGB
# The engine's own numbers (src/engine.rs, src/standardize/mod.rs).
MIN_FACE_FRACTION = 0.15  # faces >= this share of the shorter side
CHECK_MAX_SIDE = 640  # check: decode reduced to at least the standard's long side
WORK_SIDE = 960  # standardize: decode reduced to at least this long side...
DETECT_SIDE = 640  # ...and detect on a copy at most this long
MAX_UPSCALE = 1.6  # beyond this enlargement, decode finer
MAX_QUALITY = 95

PNET_THRESHOLD, RNET_THRESHOLD, ONET_THRESHOLD = 0.6, 0.7, 0.8
PNET_LEVEL_NMS, PNET_ALL_NMS, RNET_NMS, ONET_NMS = 0.5, 0.7, 0.7, 0.7
FACTOR = 0.709

REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
           8: cv2.IMREAD_REDUCED_COLOR_8}


# ----------------------------------------------------------------------------- MTCNN

def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])


def preprocess(img_rgb_u8):
    """HWC uint8 RGB -> 1x3xHxW float32, (x - 127.5) / 128."""
    x = (img_rgb_u8.astype(np.float32) - 127.5) * 0.0078125
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def nms(boxes, threshold, mode="union"):
    """boxes: [n, >=5] (x1, y1, x2, y2, score); returns kept indices, best first."""
    if len(boxes) == 0:
        return []
    x1, y1, x2, y2, score = (boxes[:, i] for i in range(5))
    area = (x2 - x1 + 1.0) * (y2 - y1 + 1.0)
    ids = np.argsort(score)
    pick = []
    while len(ids) > 0:
        last = len(ids) - 1
        i = ids[last]
        pick.append(i)
        rest = ids[:last]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1.0)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1.0)
        inter = w * h
        if mode == "min":
            overlap = inter / np.minimum(area[i], area[rest])
        else:
            overlap = inter / (area[i] + area[rest] - inter)
        ids = rest[overlap <= threshold]
    return pick


def calibrate(boxes, offsets):
    w = (boxes[:, 2] - boxes[:, 0] + 1.0)[:, None]
    h = (boxes[:, 3] - boxes[:, 1] + 1.0)[:, None]
    boxes = boxes.copy()
    boxes[:, 0:4] += np.hstack([w, h, w, h]) * offsets
    return boxes


def square(boxes):
    out = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1.0
    h = boxes[:, 3] - boxes[:, 1] + 1.0
    side = np.maximum(w, h)
    out[:, 0] = boxes[:, 0] + w * 0.5 - side * 0.5
    out[:, 1] = boxes[:, 1] + h * 0.5 - side * 0.5
    out[:, 2] = out[:, 0] + side - 1.0
    out[:, 3] = out[:, 1] + side - 1.0
    return out


def crops(boxes, img, size):
    """Each (rounded, square) box cut out, zero-padded outside the image, resized to size^2
    with INTER_AREA, as one NCHW float32 batch."""
    height, width = img.shape[:2]
    batch = np.empty((len(boxes), 3, size, size), np.float32)
    for k, b in enumerate(boxes):
        x1, y1, x2, y2 = (int(v) for v in b[:4])
        w, h = x2 - x1 + 1, y2 - y1 + 1
        if x1 >= 0 and y1 >= 0 and x2 < width and y2 < height:
            patch = img[y1:y2 + 1, x1:x2 + 1]
        else:
            patch = np.zeros((h, w, 3), np.uint8)
            sx1, sy1 = max(x1, 0), max(y1, 0)
            sx2, sy2 = min(x2, width - 1), min(y2, height - 1)
            if sx2 >= sx1 and sy2 >= sy1:
                patch[sy1 - y1:sy2 - y1 + 1, sx1 - x1:sx2 - x1 + 1] = img[sy1:sy2 + 1, sx1:sx2 + 1]
        patch = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
        batch[k] = preprocess(patch)[0]
    return batch


class Mtcnn:
    def __init__(self, models_dir):
        self.pnet = session(f"{models_dir}/pnet.onnx")
        self.rnet = session(f"{models_dir}/rnet.onnx")
        self.onet = session(f"{models_dir}/onet.onnx")
        self.names = {}
        for name, s in (("pnet", self.pnet), ("rnet", self.rnet), ("onet", self.onet)):
            self.names[name] = s.get_inputs()[0].name

    def _outputs(self, sess, name, x):
        """Outputs by shape (scores have 2 channels, offsets 4, landmarks 10)."""
        out = sess.run(None, {self.names[name]: x})
        by = {}
        for o in out:
            by[o.shape[1]] = o
        return by

    def detect(self, img_rgb, min_face):
        """Faces as (boxes [n, 5], landmarks [n, 10] = x1..x5, y1..y5), best first."""
        height, width = img_rgb.shape[:2]
        m = 12.0 / min_face
        side = min(height, width) * m
        scales = []
        scale = m
        while side > 12.0:
            scales.append(scale)
            side *= FACTOR
            scale *= FACTOR
        levels = []
        for s in scales:
            sw, sh = math.ceil(width * s), math.ceil(height * s)
            if sw < 12 or sh < 12:
                continue
            level = cv2.resize(img_rgb, (sw, sh), interpolation=cv2.INTER_LINEAR)
            out = self._outputs(self.pnet, "pnet", preprocess(level))
            probs, offsets = out[2][0, 1], out[4][0]
            ys, xs = np.where(probs > PNET_THRESHOLD)
            if len(ys) == 0:
                continue
            fx, fy = 2.0 * xs + 1.0, 2.0 * ys + 1.0
            boxes = np.stack([np.round(fx / s), np.round(fy / s), np.round((fx + 12.0) / s),
                              np.round((fy + 12.0) / s), probs[ys, xs]], axis=1)
            boxes = np.hstack([boxes, offsets[:, ys, xs].T])
            levels.append(boxes[nms(boxes, PNET_LEVEL_NMS)])
        if not levels:
            return np.zeros((0, 5)), np.zeros((0, 10))
        boxes = np.vstack(levels)
        boxes = boxes[nms(boxes, PNET_ALL_NMS)]
        boxes = square(calibrate(boxes[:, :5], boxes[:, 5:9]))
        boxes[:, 0:4] = np.round(boxes[:, 0:4])

        out = self._outputs(self.rnet, "rnet", crops(boxes, img_rgb, 24))
        probs, offsets = out[2][:, 1], out[4]
        keep = probs > RNET_THRESHOLD
        boxes, offsets = boxes[keep], offsets[keep]
        boxes[:, 4] = probs[keep]
        keep = nms(boxes, RNET_NMS)
        boxes = square(calibrate(boxes[keep], offsets[keep]))
        boxes[:, 0:4] = np.round(boxes[:, 0:4])
        if len(boxes) == 0:
            return np.zeros((0, 5)), np.zeros((0, 10))

        out = self._outputs(self.onet, "onet", crops(boxes, img_rgb, 48))
        probs, offsets, marks = out[2][:, 1], out[4], out[10]
        keep = probs > ONET_THRESHOLD
        boxes, offsets, marks = boxes[keep], offsets[keep], marks[keep].copy()
        boxes[:, 4] = probs[keep]
        w = (boxes[:, 2] - boxes[:, 0] + 1.0)[:, None]
        h = (boxes[:, 3] - boxes[:, 1] + 1.0)[:, None]
        marks[:, 0:5] = boxes[:, 0:1] + w * marks[:, 0:5]
        marks[:, 5:10] = boxes[:, 1:2] + h * marks[:, 5:10]
        boxes = calibrate(boxes, offsets)
        keep = nms(boxes, ONET_NMS, mode="min")
        return boxes[keep], marks[keep]


# ----------------------------------------------------------------------------- the job

def reduction_for(long_side, max_side):
    """The engine's rule: the largest DCT reduction that keeps the longer side >= max_side."""
    for d in (8, 4, 2):
        if math.ceil(long_side / d) >= max_side:
            return d
    return 1


def jpeg_long_side(buf):
    """Longer side from the SOF marker, without decoding (as the engine's probe)."""
    i = 2
    while i + 9 < len(buf):
        if buf[i] != 0xFF:
            i += 1
            continue
        marker = buf[i + 1]
        if marker in (0xC0, 0xC1, 0xC2):
            h = int.from_bytes(buf[i + 5:i + 7], "big")
            w = int.from_bytes(buf[i + 7:i + 9], "big")
            return max(w, h)
        if marker == 0xD8 or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 2 if marker != 0xFF else 1
            continue
        i += 2 + int.from_bytes(buf[i + 2:i + 4], "big")
    raise ValueError("no frame header")


def decode_reduced(arr, data, max_side):
    d = reduction_for(jpeg_long_side(data), max_side)
    img = cv2.imdecode(arr, REDUCED[d])
    if img is None:
        raise RuntimeError("unreadable")
    return img, d


def faces(mtcnn, img_bgr):
    """The engine's rule: faces at least MIN_FACE_FRACTION of the shorter side."""
    min_face = max(12.0, min(img_bgr.shape[:2]) * MIN_FACE_FRACTION)
    return mtcnn.detect(cv2.cvtColor(img_bgr, cv2.COLOR_BGR2RGB), min_face)


def checks(img_bgr, box):
    """The simple checks: face luminance and sharpness, background colour above the head."""
    h, w = img_bgr.shape[:2]
    x1, y1 = max(int(box[0]), 0), max(int(box[1]), 0)
    x2, y2 = min(int(box[2]), w - 1), min(int(box[3]), h - 1)
    gray = cv2.cvtColor(img_bgr, cv2.COLOR_BGR2GRAY)
    face = gray[y1:y2 + 1, x1:x2 + 1]
    luminance = float(face.mean()) if face.size else 0.0
    sharpness = float(cv2.Laplacian(face, cv2.CV_64F).var()) if face.size else 0.0
    band = img_bgr[0:max(8, y1 // 2)]
    b, g, r = (float(v) for v in band.reshape(-1, 3).mean(axis=0))
    distance = math.dist((r, g, b), BACKGROUND)
    return {"luminance": luminance, "sharpness": sharpness, "background_distance": distance}


def encode(img_bgr):
    """Highest quality in [MIN_QUALITY, MAX_QUALITY] whose JPEG fits TARGET_MAX_BYTES."""
    lo, hi, best = MIN_QUALITY, MAX_QUALITY, None
    while lo <= hi:
        q = (lo + hi) // 2
        ok, buf = cv2.imencode(".jpg", img_bgr, [cv2.IMWRITE_JPEG_QUALITY, q])
        if not ok:
            raise RuntimeError("imencode failed")
        if len(buf) <= TARGET_MAX_BYTES:
            best = (q, buf)
            lo = q + 1
        else:
            hi = q - 1
    if best is None:
        raise RuntimeError("does not fit the size limit at the lowest quality")
    return best


def ms(a, b):
    return (b - a) * 1000.0


def check_job(mtcnn, data):
    """Engine::check: decode reduced to the standard's long side, detect on that, checks."""
    t0 = time.perf_counter()
    img, d = decode_reduced(np.frombuffer(data, np.uint8), data, CHECK_MAX_SIDE)
    t1 = time.perf_counter()
    boxes, _ = faces(mtcnn, img)
    t2 = time.perf_counter()
    found = checks(img, boxes[0]) if len(boxes) else {}
    t3 = time.perf_counter()
    times = {"decode_ms": ms(t0, t1), "detect_ms": ms(t1, t2), "checks_ms": ms(t2, t3),
             "total_ms": ms(t0, t3)}
    summary = {"decoded": [int(img.shape[1]), int(img.shape[0])], "reduction": d,
               "faces": int(len(boxes)), "checks": {k: round(v, 2) for k, v in found.items()}}
    return times, summary, None


def standardize_job(mtcnn, data):
    """Engine::standardize: decode reduced to >= WORK_SIDE, detect on a copy <= DETECT_SIDE,
    source checks, crop + INTER_AREA resize (finer decode if it would enlarge more than
    MAX_UPSCALE), encode to fit, then the check of the output (decode, detect, checks)."""
    t0 = time.perf_counter()
    arr = np.frombuffer(data, np.uint8)
    img, d = decode_reduced(arr, data, WORK_SIDE)
    t1 = time.perf_counter()
    long = max(img.shape[:2])
    k = min(1.0, DETECT_SIDE / long)
    view = img if k == 1.0 else cv2.resize(
        img, (round(img.shape[1] * k), round(img.shape[0] * k)), interpolation=cv2.INTER_AREA)
    boxes, marks = faces(mtcnn, view)
    t2 = time.perf_counter()
    if len(boxes) != 1:
        raise RuntimeError(f"{len(boxes)} faces")
    checks(view, boxes[0])
    box, lm = boxes[0][:4] / k, marks[0] / k
    eye_x, eye_y = (lm[0] + lm[1]) / 2.0, (lm[5] + lm[6]) / 2.0
    s = FACE_WIDTH_MID / (box[2] - box[0] + 1.0)  # output px per source px
    src = img
    if s > MAX_UPSCALE and d > 1:
        src = cv2.imdecode(arr, cv2.IMREAD_COLOR)
        f = src.shape[1] / img.shape[1]
        eye_x, eye_y, box, s = eye_x * f, eye_y * f, box * f, s / f
    if s > MAX_UPSCALE:
        raise RuntimeError("face too small in the source")
    x0 = int(round(eye_x - (OUT_W / 2.0) / s))
    y0 = int(round(eye_y - EYE_LINE_MID / s))
    x1, y1 = x0 + int(round(OUT_W / s)), y0 + int(round(OUT_H / s))
    sh, sw = src.shape[:2]
    pad = (max(0, -y0), max(0, y1 - sh), max(0, -x0), max(0, x1 - sw))
    crop = src[max(y0, 0):min(y1, sh), max(x0, 0):min(x1, sw)]
    if any(pad):
        crop = cv2.copyMakeBorder(crop, *pad, cv2.BORDER_REPLICATE)
    out = cv2.resize(crop, (OUT_W, OUT_H), interpolation=cv2.INTER_AREA)
    t3 = time.perf_counter()
    quality, jpeg = encode(out)
    t4 = time.perf_counter()
    again = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    boxes2, _ = faces(mtcnn, again)
    if len(boxes2) != 1:
        raise RuntimeError(f"output: {len(boxes2)} faces")
    found = checks(again, boxes2[0])
    t5 = time.perf_counter()
    times = {"decode_ms": ms(t0, t1), "detect_ms": ms(t1, t2), "crop_ms": ms(t2, t3),
             "encode_ms": ms(t3, t4), "recheck_ms": ms(t4, t5), "total_ms": ms(t0, t5)}
    summary = {"decoded": [int(img.shape[1]), int(img.shape[0])], "reduction": d,
               "crop_from": [int(src.shape[1]), int(src.shape[0])], "faces": int(len(boxes)),
               "quality": quality, "out_bytes": int(len(jpeg)),
               "checks": {k: round(v, 2) for k, v in found.items()}}
    return times, summary, jpeg


JOBS = {"check": check_job, "standardize": standardize_job}


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", required=True)
    p.add_argument("--job", choices=sorted(JOBS), default="standardize")
    p.add_argument("--iters", type=int, default=15)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--save", help="write each standard image to this directory")
    p.add_argument("files", nargs="+")
    a = p.parse_args()
    cv2.setNumThreads(1)
    mtcnn = Mtcnn(a.models)
    job = JOBS[a.job]
    for path in a.files:
        with open(path, "rb") as fh:
            data = fh.read()
        line = {"engine": "peer", "job": a.job, "file": path, "bytes": len(data),
                "iters": a.iters}
        try:
            for _ in range(a.warmup):
                job(mtcnn, data)
            runs = [job(mtcnn, data) for _ in range(a.iters)]
        except (RuntimeError, ValueError) as e:
            # The peer refuses this photo (no face, several, too small...): say so, go on.
            line["error"] = str(e)
            print(json.dumps(line), flush=True)
            continue
        for key in runs[0][0]:
            line[key] = round(statistics.median(r[0][key] for r in runs), 2)
        line["total_min_ms"] = round(min(r[0]["total_ms"] for r in runs), 2)
        line.update(runs[-1][1])
        line["peak_rss_mib"] = round(peak_rss_mib(), 2)
        line["versions"] = {"opencv": cv2.__version__, "onnxruntime": ort.__version__,
                            "numpy": np.__version__}
        print(json.dumps(line), flush=True)
        if a.save and runs[-1][2] is not None:
            name = os.path.splitext(os.path.basename(path))[0] + "_peer.jpg"
            with open(os.path.join(a.save, name), "wb") as fh:
                fh.write(runs[-1][2].tobytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
