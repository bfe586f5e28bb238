//! Box arithmetic shared by the three MTCNN stages: non-maximum suppression, regression
//! ("calibration") and square-ification. Coordinates follow the reference implementation
//! (TropComplique/mtcnn-pytorch): inclusive pixel boxes, so a box's width is `x2 - x1 + 1`.
//! Keeping that convention keeps the networks' regression outputs meaningful.

/// A candidate face: inclusive pixel box plus the network's face probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Candidate {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
    pub score: f32,
}

impl Candidate {
    pub fn width(&self) -> f32 {
        self.x2 - self.x1 + 1.0
    }

    pub fn height(&self) -> f32 {
        self.y2 - self.y1 + 1.0
    }

    fn area(&self) -> f32 {
        self.width() * self.height()
    }

    /// Moves the edges by the network's offsets, given as fractions of the box size.
    pub fn calibrate(&self, offsets: [f32; 4]) -> Candidate {
        let (w, h) = (self.width(), self.height());
        Candidate {
            x1: self.x1 + offsets[0] * w,
            y1: self.y1 + offsets[1] * h,
            x2: self.x2 + offsets[2] * w,
            y2: self.y2 + offsets[3] * h,
            score: self.score,
        }
    }

    /// The square around the box's centre with its longer side, rounded to whole pixels:
    /// R-Net and O-Net were trained on square crops.
    pub fn square(&self) -> Candidate {
        let (w, h) = (self.width(), self.height());
        let side = w.max(h);
        let x1 = (self.x1 + w * 0.5 - side * 0.5).round();
        let y1 = (self.y1 + h * 0.5 - side * 0.5).round();
        let side = side.round();
        Candidate {
            x1,
            y1,
            x2: x1 + side - 1.0,
            y2: y1 + side - 1.0,
            score: self.score,
        }
    }
}

/// How overlap is measured by [`nms`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overlap {
    /// Intersection over union: the usual choice between proposals of similar size.
    Union,
    /// Intersection over the smaller box: O-Net's last pass, so that a small box nested in a
    /// big one (a face part read as a face) is removed too.
    Min,
}

/// Greedy non-maximum suppression: indices of the kept boxes, best score first.
pub(crate) fn nms(boxes: &[Candidate], threshold: f32, mode: Overlap) -> Vec<usize> {
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    // total_cmp: a NaN score (never expected) must not panic the sort.
    order.sort_by(|&a, &b| boxes[b].score.total_cmp(&boxes[a].score));
    let mut removed = vec![false; boxes.len()];
    let mut keep = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        if removed[i] {
            continue;
        }
        keep.push(i);
        let a = &boxes[i];
        for &j in &order[pos + 1..] {
            if removed[j] {
                continue;
            }
            let b = &boxes[j];
            let iw = (a.x2.min(b.x2) - a.x1.max(b.x1) + 1.0).max(0.0);
            let ih = (a.y2.min(b.y2) - a.y1.max(b.y1) + 1.0).max(0.0);
            let inter = iw * ih;
            let denom = match mode {
                Overlap::Union => a.area() + b.area() - inter,
                Overlap::Min => a.area().min(b.area()),
            };
            if denom > 0.0 && inter / denom > threshold {
                removed[j] = true;
            }
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x1: f32, y1: f32, x2: f32, y2: f32, score: f32) -> Candidate {
        Candidate {
            x1,
            y1,
            x2,
            y2,
            score,
        }
    }

    /// Two faces side by side, even as close as 0.6 of a face width between centres
    /// (IoU 0.25), both survive the 0.5 threshold the detector uses before R-Net and O-Net.
    #[test]
    fn neighbouring_faces_both_survive_at_one_half() {
        let boxes = [
            c(0.0, 0.0, 100.0, 100.0, 0.9),
            c(60.0, 5.0, 160.0, 105.0, 0.8),
        ];
        let mut keep = nms(&boxes, 0.5, Overlap::Union);
        keep.sort_unstable();
        assert_eq!(keep, vec![0, 1]);
    }

    #[test]
    fn nms_keeps_best_of_overlapping_and_separate_boxes() {
        let boxes = [
            c(0.0, 0.0, 9.0, 9.0, 0.8),
            c(1.0, 1.0, 10.0, 10.0, 0.9),
            c(50.0, 50.0, 59.0, 59.0, 0.7),
        ];
        assert_eq!(nms(&boxes, 0.5, Overlap::Union), vec![1, 2]);
    }

    #[test]
    fn min_mode_removes_nested_box() {
        let boxes = [
            c(0.0, 0.0, 99.0, 99.0, 0.9),
            c(10.0, 10.0, 29.0, 29.0, 0.95),
        ];
        assert_eq!(nms(&boxes, 0.7, Overlap::Union).len(), 2);
        assert_eq!(nms(&boxes, 0.7, Overlap::Min), vec![1]);
    }

    #[test]
    fn square_keeps_centre_and_takes_longer_side() {
        let s = c(10.0, 0.0, 19.0, 19.0, 1.0).square();
        assert_eq!((s.width(), s.height()), (20.0, 20.0));
        assert_eq!((s.x1, s.y1), (5.0, 0.0));
    }
}
