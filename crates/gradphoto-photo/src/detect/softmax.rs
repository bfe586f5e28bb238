//! ONNX `Softmax` as one pass over the tensor. tract's generic softmax took more time than
//! the convolution in front of it on P-Net's few thousand two-class rows (perf: 2.3 % of a
//! standardize, against 4.9 % for all matrix products); the networks need only the plain
//! operation, written here as a loop over contiguous memory.

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

/// Registers [`Softmax`] in place of tract's `Softmax`.
pub(crate) fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register.insert("Softmax", build);
}

/// Before opset 13 the input is seen as 2-D, split at `axis` (default 1), and each row is
/// normalised; from 13 on, the one axis `axis` (default -1) is.
fn build(
    ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let flatten = ctx.onnx_operator_set_version < 13;
    let axis = node
        .get_attr_opt::<i64>("axis")?
        .unwrap_or(if flatten { 1 } else { -1 });
    Ok((expand(SoftmaxExpansion { axis, flatten }), vec![]))
}

/// The ONNX node at inference time, wired as [`Softmax`] once the rank is known.
#[derive(Debug, Clone)]
struct SoftmaxExpansion {
    axis: i64,
    flatten: bool,
}

impl Expansion for SoftmaxExpansion {
    fn name(&self) -> StaticName {
        "Softmax".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
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
        let rank = model.outlet_fact(inputs[0])?.rank() as i64;
        let axis = if self.axis < 0 {
            self.axis + rank
        } else {
            self.axis
        };
        if !(0..rank).contains(&axis) {
            bail!("{name}: Softmax axis {} for rank {rank}", self.axis);
        }
        let op = Softmax {
            axis: axis as usize,
            flatten: self.flatten,
        };
        model.wire_node(name, op, &[inputs[0]])
    }
}

/// Softmax over `axis` alone, or (`flatten`) over every axis from `axis` on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Softmax {
    axis: usize,
    flatten: bool,
}

impl Softmax {
    /// Applies the operation in place to a contiguous tensor of `shape`.
    fn apply(&self, data: &mut [f32], shape: &[usize]) -> TractResult<()> {
        if self.axis >= shape.len() {
            bail!("Softmax: axis {} for shape {shape:?}", self.axis);
        }
        let (len, inner) = if self.flatten {
            (shape[self.axis..].iter().product::<usize>(), 1)
        } else {
            (shape[self.axis], shape[self.axis + 1..].iter().product())
        };
        let block = len * inner;
        if block == 0 {
            return Ok(());
        }
        for chunk in data.chunks_exact_mut(block) {
            for i in 0..inner {
                let max = (0..len)
                    .map(|k| chunk[k * inner + i])
                    .fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0.0;
                for k in 0..len {
                    let e = (chunk[k * inner + i] - max).exp();
                    chunk[k * inner + i] = e;
                    sum += e;
                }
                let norm = 1.0 / sum;
                for k in 0..len {
                    chunk[k * inner + i] *= norm;
                }
            }
        }
        Ok(())
    }
}

impl Op for Softmax {
    fn name(&self) -> StaticName {
        "Softmax".into()
    }

    op_as_typed_op!();
}

impl EvalOp for Softmax {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        super::in_place::eval("Softmax", inputs, |data, shape| self.apply(data, shape))
    }
}

impl TypedOp for Softmax {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        super::in_place::output_facts("Softmax", inputs)
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(xs: &[f32]) -> Vec<f32> {
        let sum: f64 = xs.iter().map(|x| f64::from(*x).exp()).sum();
        xs.iter()
            .map(|x| (f64::from(*x).exp() / sum) as f32)
            .collect()
    }

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6)
    }

    /// Opset 11, as the MTCNN files: rows from `axis` on, here P-Net's transposed scores
    /// (two classes last) and a 2-D batch.
    #[test]
    fn flattened_rows_are_normalised() {
        let op = Softmax {
            axis: 3,
            flatten: true,
        };
        let mut x = [1.0, 2.0, -3.0, 0.5, 80.0, 80.0];
        op.apply(&mut x, &[1, 3, 1, 2]).unwrap();
        let want: Vec<f32> = [[1.0, 2.0], [-3.0, 0.5], [80.0, 80.0]]
            .iter()
            .flat_map(|r| reference(r))
            .collect();
        assert!(close(&x, &want), "{x:?}");
        // Axis 1 of a rank-3 tensor takes both trailing axes as one row of 4.
        let op = Softmax {
            axis: 1,
            flatten: true,
        };
        let mut y = [0.0, 1.0, 2.0, 3.0, 3.0, 2.0, 1.0, 0.0];
        op.apply(&mut y, &[2, 2, 2]).unwrap();
        let want: Vec<f32> = [[0.0, 1.0, 2.0, 3.0], [3.0, 2.0, 1.0, 0.0]]
            .iter()
            .flat_map(|r| reference(r))
            .collect();
        assert!(close(&y, &want), "{y:?}");
    }

    /// Opset 13: one axis, the elements `inner` apart.
    #[test]
    fn one_axis_is_normalised_across_its_stride() {
        let op = Softmax {
            axis: 1,
            flatten: false,
        };
        // N=1, C=2, 3 positions: each position's two channels form a pair.
        let mut x = [1.0, 0.0, -1.0, 2.0, 0.0, 4.0];
        op.apply(&mut x, &[1, 2, 3]).unwrap();
        for (i, pair) in [[1.0, 2.0], [0.0, 0.0], [-1.0, 4.0]].iter().enumerate() {
            let want = reference(pair);
            assert!((x[i] - want[0]).abs() < 1e-6 && (x[3 + i] - want[1]).abs() < 1e-6);
        }
        let bad = Softmax {
            axis: 3,
            flatten: false,
        };
        assert!(bad.apply(&mut x, &[1, 2, 3]).is_err());
    }
}
