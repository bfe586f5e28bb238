//! ONNX `PRelu` with a per-channel slope, as one pass over the tensor. All three MTCNN nets
//! use it after every convolution; tract expands it into a compare, a broadcast multiply
//! and a select, each a generic element-wise loop over an N-dimensional array, and those
//! three loops took more time than the convolutions (perf: R-Net ~15 ms for a 32-crop
//! batch, of which the matrix products were a small part). Replacing the expansion with
//! this op makes each activation a single tight loop over contiguous memory.

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

/// Registers [`Prelu`] in place of tract's expansion of the ONNX `PRelu` node.
pub(crate) fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register.insert("PRelu", build);
}

fn build(
    _ctx: &ParsingContext,
    _node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    Ok((expand(PreluExpansion), vec![]))
}

/// The ONNX node at inference time: shape rules as tract's own, wired as [`Prelu`] once
/// the slope is known to be a constant.
#[derive(Debug, Clone)]
struct PreluExpansion;

impl Expansion for PreluExpansion {
    fn name(&self) -> StaticName {
        "PreluPerChannel".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)?;
        Ok(())
    }

    fn wire(
        &self,
        name: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let Some(konst) = model.outlet_fact(inputs[1])?.konst.clone() else {
            bail!("{name}: PRelu slope must be a constant");
        };
        let slope = konst.cast_to::<f32>()?;
        let slope: Vec<u32> = slope
            .try_as_plain_ram()?
            .as_slice::<f32>()?
            .iter()
            .map(|v| v.to_bits())
            .collect();
        model.wire_node(name, Prelu { slope }, &[inputs[0]])
    }
}

/// `x` where `x ≥ 0`, `slope[c] · x` below, with `c` the channel (axis 1) or one slope for
/// every element. The slope is kept as bit patterns so that the op is `Eq` and hashable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Prelu {
    slope: Vec<u32>,
}

impl Prelu {
    /// Applies the activation in place to a contiguous tensor of `shape`.
    fn apply(&self, data: &mut [f32], shape: &[usize]) -> TractResult<()> {
        let slope: Vec<f32> = self.slope.iter().map(|b| f32::from_bits(*b)).collect();
        if let [a] = slope[..] {
            leak(data, a);
            return Ok(());
        }
        let channels = shape.get(1).copied().unwrap_or(0);
        if channels != slope.len() {
            bail!("PRelu: {} slopes for shape {shape:?}", slope.len());
        }
        let inner: usize = shape.iter().skip(2).product();
        for (i, plane) in data.chunks_exact_mut(inner.max(1)).enumerate() {
            leak(plane, slope[i % channels]);
        }
        Ok(())
    }
}

/// `x < 0 → a · x` over a slice, written as a select rather than a branch: the compiler
/// vectorises it, and a branch on the sign of activations mispredicts about half the time
/// (perf: the branching loop cost as much as all the convolutions).
fn leak(xs: &mut [f32], a: f32) {
    for x in xs {
        *x = if *x < 0.0 { *x * a } else { *x };
    }
}

impl Op for Prelu {
    fn name(&self) -> StaticName {
        "PreluPerChannel".into()
    }

    op_as_typed_op!();
}

impl EvalOp for Prelu {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        super::in_place::eval("PRelu", inputs, |data, shape| self.apply(data, shape))
    }
}

impl TypedOp for Prelu {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        super::in_place::output_facts("PRelu", inputs)
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(slope: &[f32]) -> Prelu {
        Prelu {
            slope: slope.iter().map(|v| v.to_bits()).collect(),
        }
    }

    #[test]
    fn negative_values_take_their_channels_slope() {
        // N=1, C=2, 2 values per channel.
        let mut x = [-2.0, 3.0, -4.0, 0.5];
        op(&[0.5, -1.0]).apply(&mut x, &[1, 2, 1, 2]).unwrap();
        assert_eq!(x, [-1.0, 3.0, 4.0, 0.5]);
    }

    #[test]
    fn the_channel_repeats_across_the_batch_and_for_two_dimensional_input() {
        let mut x = [-1.0, -1.0, -1.0, -1.0];
        op(&[2.0, 3.0]).apply(&mut x, &[2, 2]).unwrap();
        assert_eq!(x, [-2.0, -3.0, -2.0, -3.0]);
    }

    #[test]
    fn a_single_slope_applies_everywhere_and_a_mismatch_is_an_error() {
        let mut x = [-1.0, 2.0];
        op(&[0.25]).apply(&mut x, &[1, 2]).unwrap();
        assert_eq!(x, [-0.25, 2.0]);
        assert!(op(&[1.0, 2.0, 3.0]).apply(&mut x, &[1, 2]).is_err());
    }
}
