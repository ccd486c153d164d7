namespace FastAD.Flows;

/// <summary>
/// An analysis's map from raw columns to a flow's inputs and conditions, saved in the flow file beside the flows (when it is
/// more than the plain <see cref="Standardization"/>): a kind name the analysis recognises and its named numbers. The
/// Flows engine stores and checks it (finite numbers, part of the checksum); the analysis that wrote it applies it.
/// </summary>
/// <param name="Kind">Which analysis's map, and its version (e.g. <c>conrad-v1</c>).</param>
/// <param name="Values">Its numbers by name.</param>
public sealed record FlowPreprocessing(string Kind, Dictionary<string, double[]> Values);
