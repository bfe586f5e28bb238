//! ONNX `MaxPool` over NCHW planes without padding (every MTCNN pool: 2×2 or 3×3, stride 2,
//! ceil mode), as two passes over contiguous rows: the window's rows are maxed element by
//! element (a loop the compiler vectorises), then each output takes the max of its columns
//! in that row. tract's pool walks every window through its generic patch machinery, which
//! cost more than R-Net's and O-Net's matrix products around it (perf: 3.1 % of a
//! standardize against 5 % for all matrix kernels). The output shape is tract's own, from
//! the same padding rules, so the rest of the graph sees no difference.

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_core::ops::cnn::{MaxPool, PaddingSpec, PoolSpec};
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::ops::cnn::HirMaxPool;
use tract_onnx::tract_hir::ops::nn::DataFormat;

/// Registers [`Pool`] in place of tract's `MaxPool`.
pub(crate) fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register.insert("MaxPool", build);
}

/// Takes the 2-D pools this op computes (no padding, no dilation, one output); any other
/// is refused with a clear error rather than computed wrongly.
fn build(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let kernel: TVec<usize> = node.get_attr_tvec("kernel_shape")?;
    let strides: TVec<usize> = node
        .get_attr_opt_tvec("strides")?
        .unwrap_or_else(|| tvec![1; kernel.len()]);
    let pads: TVec<usize> = node
        .get_attr_opt_tvec("pads")?
        .unwrap_or_else(|| tvec![0; 2 * kernel.len()]);
    let dilations: TVec<usize> = node
        .get_attr_opt_tvec("dilations")?
        .unwrap_or_else(|| tvec![1; kernel.len()]);
    let auto_pad = node.get_attr_opt::<&str>("auto_pad")?.unwrap_or("NOTSET");
    let ceil_mode = node.get_attr_opt::<i64>("ceil_mode")?.unwrap_or(0) == 1;
    let plain = kernel.len() == 2
        && strides.len() == 2
        && kernel.iter().chain(&strides).all(|&v| v > 0)
        && pads.iter().all(|&p| p == 0)
        && dilations.iter().all(|&d| d == 1)
        && auto_pad == "NOTSET"
        && node.output.len() == 1;
    if !plain {
        bail!(
            "MaxPool {}: only 2-D pools without padding, dilation or indices are supported",
            node.name
        );
    }
    let spec = PoolSpec::new(
        DataFormat::NCHW,
        kernel,
        PaddingSpec::ExplicitOnnxPool(tvec![0, 0], tvec![0, 0], ceil_mode),
        None,
        Some(strides),
        0,
        0,
    );
    Ok((expand(PoolExpansion(HirMaxPool::new(spec, None))), vec![]))
}

/// The ONNX node at inference time: tract's own shape rules, wired as [`Pool`].
#[derive(Debug, Clone)]
struct PoolExpansion(HirMaxPool);

impl Expansion for PoolExpansion {
    fn name(&self) -> StaticName {
        "MaxPoolRows".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        self.0.rules(s, inputs, outputs)
    }

    fn wire(
        &self,
        name: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let fact = model.outlet_fact(inputs[0])?;
        let Some(&[_, c, _, _]) = fact.shape.as_concrete() else {
            bail!(
                "{name}: MaxPool needs a concrete NCHW input, got {:?}",
                fact.shape
            );
        };
        let spec = PoolSpec {
            input_channels: c,
            output_channels: c,
            ..self.0.pool_spec.clone()
        };
        model.wire_node(name, Pool { spec }, &[inputs[0]])
    }
}

/// Max over each window of each plane; windows are clipped to the plane (ceil mode's last
/// one may hang past the edge, as in tract and the reference, and so does any window of a
/// plane smaller than the kernel).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Pool {
    spec: PoolSpec,
}

impl Pool {
    /// `[kernel, stride]` along height and width.
    fn window(&self) -> TractResult<[[usize; 2]; 2]> {
        let (k, s) = (&self.spec.kernel_shape, self.spec.strides.as_deref());
        match (k.as_slice(), s) {
            (&[kh, kw], Some(&[sh, sw])) => Ok([[kh, sh], [kw, sw]]),
            _ => bail!("MaxPool: not a 2-D pool: {:?}", self.spec),
        }
    }

    /// Output height and width for an input plane of `h × w`, by tract's padding rules.
    fn output_size(&self, h: usize, w: usize) -> TractResult<[usize; 2]> {
        let [[kh, sh], [kw, sw]] = self.window()?;
        let dims = self
            .spec
            .padding
            .compute(&[h, w], &[kh, kw], &[1, 1], &[sh, sw]);
        Ok([dims[0].convoluted, dims[1].convoluted])
    }

    /// Pools `x`, `n × c` planes of `h × w`, into planes of `oh × ow`.
    fn apply(&self, x: &[f32], [h, w]: [usize; 2], [oh, ow]: [usize; 2]) -> TractResult<Vec<f32>> {
        let [[kh, sh], [kw, sw]] = self.window()?;
        if oh * ow == 0 {
            return Ok(Vec::new()); // tract's rules give an empty plane for an empty one
        }
        if h * w == 0 || (oh - 1) * sh >= h || (ow - 1) * sw >= w {
            bail!("MaxPool: a window starts past a {h}×{w} plane");
        }
        let planes = x.len() / (h * w);
        let mut out = vec![0f32; planes * oh * ow];
        let mut rows = vec![0f32; w];
        for (plane, pooled) in x.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)) {
            for (i, out_row) in pooled.chunks_exact_mut(ow).enumerate() {
                let (y0, y1) = (i * sh, (i * sh + kh).min(h));
                rows.copy_from_slice(&plane[y0 * w..][..w]);
                for row in plane[(y0 + 1) * w..y1 * w].chunks_exact(w) {
                    for (m, &v) in rows.iter_mut().zip(row) {
                        *m = larger(*m, v);
                    }
                }
                across(&rows, [kw, sw], out_row);
            }
        }
        Ok(out)
    }
}

/// One output row from the window rows' maxima `rows`: each output the max of its `k`
/// columns, `s` apart, clipped at the edge. The networks' pools (stride 2, 2 or 3 wide)
/// read column pairs, so that the loop has no bounds to compute; any other takes the
/// general loop, as do the last outputs.
fn across(rows: &[f32], [k, s]: [usize; 2], out: &mut [f32]) {
    // Outputs whose window lies wholly inside the row.
    let inside = if rows.len() >= k {
        (rows.len() - k) / s + 1
    } else {
        0
    };
    let mut done = 0;
    if s == 2 && (k == 2 || k == 3) {
        let pairs = rows.chunks_exact(2);
        let next = rows.get(2..).unwrap_or_default().chunks_exact(2);
        let n = inside.min(out.len());
        if k == 2 {
            for (o, p) in out[..n].iter_mut().zip(pairs) {
                *o = larger(p[0], p[1]);
            }
        } else {
            for ((o, p), q) in out[..n].iter_mut().zip(pairs).zip(next) {
                *o = larger(larger(p[0], p[1]), q[0]);
            }
        }
        // `next` runs out one pair early when the row's length is odd.
        done = if k == 3 {
            n.min(rows.len().saturating_sub(2) / 2)
        } else {
            n
        };
    }
    for (j, o) in out.iter_mut().enumerate().skip(done) {
        let (x0, x1) = (j * s, (j * s + k).min(rows.len()));
        *o = rows[x0 + 1..x1].iter().fold(rows[x0], |m, &v| larger(m, v));
    }
}

/// `max` as a compare and select (one `maxps`): the inputs are never NaN. Of equal values
/// the first is kept, down each column and then across, so a window of +0 and −0 may give
/// the other zero than tract's row-by-row order; nothing downstream can tell.
#[inline(always)]
fn larger(m: f32, v: f32) -> f32 {
    if v > m { v } else { m }
}

impl Op for Pool {
    fn name(&self) -> StaticName {
        "MaxPoolRows".into()
    }

    op_as_typed_op!();
}

impl EvalOp for Pool {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let Some(input) = inputs.first() else {
            bail!("MaxPool: no input");
        };
        super::vector_state::clean();
        let &[n, c, h, w] = input.shape() else {
            bail!("MaxPool: input {:?} is not NCHW", input.shape());
        };
        let [oh, ow] = self.output_size(h, w)?;
        let x = input.try_as_plain_ram()?.as_slice::<f32>()?;
        let out = self.apply(x, [h, w], [oh, ow])?;
        let t = tract_ndarray::Array4::from_shape_vec((n, c, oh, ow), out)?.into_tensor();
        Ok(tvec!(t.into_tvalue()))
    }
}

impl TypedOp for Pool {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        if inputs[0].datum_type != f32::datum_type() {
            bail!("MaxPool: only f32 is supported");
        }
        // tract's pool with the same spec says what the output is.
        MaxPool::new(self.spec.clone(), None).output_facts(inputs)
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(k: usize, ceil_mode: bool) -> Pool {
        Pool {
            spec: PoolSpec::new(
                DataFormat::NCHW,
                tvec![k, k],
                PaddingSpec::ExplicitOnnxPool(tvec![0, 0], tvec![0, 0], ceil_mode),
                None,
                Some(tvec![2, 2]),
                1,
                1,
            ),
        }
    }

    /// Every output is the max of its window, computed point by point, for the pools the
    /// networks use (3×3 and 2×2, stride 2, ceil mode: the last window hangs past an odd
    /// edge) on planes of even and odd sizes, two planes at once.
    #[test]
    fn each_output_is_the_max_of_its_window() {
        let mut next = crate::testing::xorshift(0x9001);
        for (k, ceil_mode) in [(3, true), (2, true), (3, false)] {
            for (h, w) in [
                (22, 22),
                (9, 9),
                (11, 7),
                (4, 5),
                (3, 3),
                (2, 2),
                (1, 6),
                (6, 1),
            ] {
                let p = pool(k, ceil_mode);
                let x: Vec<f32> = (0..2 * h * w)
                    .map(|_| (next() % 2001) as f32 / 100.0 - 10.0)
                    .collect();
                let [oh, ow] = p.output_size(h, w).expect("size");
                let got = p.apply(&x, [h, w], [oh, ow]).expect("pools");
                assert_eq!(got.len(), 2 * oh * ow);
                for plane in 0..2 {
                    for i in 0..oh {
                        for j in 0..ow {
                            let mut want = f32::NEG_INFINITY;
                            for y in i * 2..(i * 2 + k).min(h) {
                                for x_ in j * 2..(j * 2 + k).min(w) {
                                    want = want.max(x[plane * h * w + y * w + x_]);
                                }
                            }
                            let at = plane * oh * ow + i * ow + j;
                            assert_eq!(got[at], want, "{k} {ceil_mode} {h}×{w} ({i}, {j})");
                        }
                    }
                }
                // Ceil mode keeps the window hanging past an odd edge; floor drops it.
                let expect = |n: usize| {
                    let d = n.saturating_sub(k);
                    if ceil_mode {
                        d.div_ceil(2) + 1
                    } else {
                        d / 2 + 1
                    }
                };
                assert_eq!([oh, ow], [expect(h), expect(w)], "{k} {ceil_mode} {h}×{w}");
            }
        }
    }

    /// An empty plane pools to nothing in ceil mode (tract's rules give no output) and is
    /// refused in floor mode (one output with nothing to take its max from); never a panic.
    #[test]
    fn empty_planes_are_no_output_or_an_error() {
        for (h, w) in [(0, 5), (5, 0), (0, 0)] {
            let ceil = pool(3, true);
            let [oh, ow] = ceil.output_size(h, w).expect("size");
            assert_eq!(
                ceil.apply(&[], [h, w], [oh, ow]).expect("pools"),
                Vec::<f32>::new()
            );
            let floor = pool(3, false);
            let [oh, ow] = floor.output_size(h, w).expect("size");
            assert!(oh * ow == 0 || floor.apply(&[], [h, w], [oh, ow]).is_err());
        }
    }
}
