//! What our two element-wise operators (`prelu`, `softmax`) share with each other: both
//! rewrite their one `f32` input in place and keep its shape.

use tract_onnx::tract_hir::internal::*;

/// Evaluates an in-place operator: cleans the vector state tract's kernels left (see
/// `vector_state`), then lets `apply` rewrite the input's values, given its shape.
pub(crate) fn eval(
    name: &str,
    inputs: TVec<TValue>,
    apply: impl FnOnce(&mut [f32], &[usize]) -> TractResult<()>,
) -> TractResult<TVec<TValue>> {
    let Some(input) = inputs.into_iter().next() else {
        bail!("{name}: no input");
    };
    super::vector_state::clean();
    let mut t = input.into_tensor();
    let shape = t.shape().to_vec();
    apply(t.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?, &shape)?;
    Ok(tvec!(t.into_tvalue()))
}

/// The output fact of an in-place operator: the input's, which must be `f32`.
pub(crate) fn output_facts(name: &str, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
    if inputs[0].datum_type != f32::datum_type() {
        bail!("{name}: only f32 is supported");
    }
    Ok(tvec!(inputs[0].without_value()))
}
