//! Where the pyramid's levels sit on P-Net's one canvas. P-Net is fully convolutional with
//! a receptive field of exactly its 12 × 12 window and an output stride of 2, so a window
//! lying wholly inside one level sees only that level's pixels: all levels can be scanned
//! in one run, which costs far less than one run per level (each run pays tract's fixed
//! per-op overhead, and the levels are small). Levels start at even coordinates so that
//! the canvas's stride-2 grid falls on each level's own grid; windows straddling two
//! levels are ignored by the caller.

/// A level's rectangle on the canvas: columns `x..x + w`, rows `y..y + h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spot {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
}

impl Spot {
    fn right(&self) -> usize {
        self.x + self.w
    }

    fn overlaps(&self, o: &Spot) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// The canvas and each level's spot on it, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Canvas {
    pub width: usize,
    pub height: usize,
    pub spots: Vec<Spot>,
}

/// Packs `sizes` (`(w, h)`, largest first, as the pyramid comes) on a canvas as high as the
/// tallest: each level goes to the corner of an earlier one (right of it or below it,
/// rounded up to even) where it fits and ends furthest left, then highest. A greedy
/// bottom-left packing: on the pyramid's halving areas it wastes ~10 % of the canvas,
/// against ~50 % for a single row.
pub(crate) fn pack(sizes: &[(usize, usize)]) -> Canvas {
    let height = sizes.iter().map(|s| s.1).max().unwrap_or(0);
    let even = |n: usize| n + (n & 1);
    let mut spots: Vec<Spot> = Vec::with_capacity(sizes.len());
    for &(w, h) in sizes {
        let mut corners = vec![(0, 0)];
        for s in &spots {
            corners.push((even(s.right()), s.y));
            corners.push((s.x, even(s.y + s.h)));
        }
        let best = corners
            .into_iter()
            .map(|(x, y)| Spot { x, y, w, h })
            .filter(|c| c.y + c.h <= height && !spots.iter().any(|s| s.overlaps(c)))
            .min_by_key(|c| (c.right(), c.y));
        // No corner fits (the corners right of the others may all sit too low): right of
        // all the others, at the top, always does.
        let spot = best.unwrap_or_else(|| {
            let x = even(spots.iter().map(Spot::right).max().unwrap_or(0));
            Spot { x, y: 0, w, h }
        });
        spots.push(spot);
    }
    let width = spots.iter().map(Spot::right).max().unwrap_or(0);
    Canvas {
        width,
        height,
        spots,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(sizes: &[(usize, usize)]) -> Canvas {
        let c = pack(sizes);
        assert_eq!(c.spots.len(), sizes.len());
        for (i, (s, &(w, h))) in c.spots.iter().zip(sizes).enumerate() {
            assert_eq!((s.w, s.h), (w, h));
            assert!(s.x % 2 == 0 && s.y % 2 == 0, "{s:?} not on the even grid");
            assert!(
                s.right() <= c.width && s.y + s.h <= c.height,
                "{s:?} outside"
            );
            for o in &c.spots[..i] {
                assert!(!s.overlaps(o), "{s:?} overlaps {o:?}");
            }
        }
        c
    }

    /// The pyramid of a 480 × 640 portrait looking for faces of 72 px (the engine's case)
    /// packs into a canvas hardly larger than the levels' total area.
    #[test]
    fn a_portrait_pyramid_packs_tightly() {
        let sizes = [(80, 107), (57, 76), (41, 54), (29, 38), (20, 27), (15, 19)];
        let c = check(&sizes);
        let area: usize = sizes.iter().map(|(w, h)| w * h).sum();
        assert_eq!(c.height, 107);
        assert!(c.width * c.height <= area * 115 / 100, "{c:?}");
    }

    #[test]
    fn landscape_odd_and_degenerate_inputs() {
        check(&[(107, 80), (76, 57), (54, 41), (38, 29), (27, 20), (19, 15)]);
        check(&[(13, 13), (13, 13), (13, 13)]);
        check(&[(301, 13), (213, 13), (151, 13)]);
        assert_eq!(
            pack(&[]),
            Canvas {
                width: 0,
                height: 0,
                spots: vec![]
            }
        );
        let one = check(&[(31, 17)]);
        assert_eq!((one.width, one.height), (31, 17));
    }
}
