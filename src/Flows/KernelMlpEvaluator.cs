using System.Globalization;
using FastAD.Kernels;

namespace FastAD.Flows;

/// <summary>
/// What the MLP kernels (Sources/mlp.cl) share between training and evaluation: the compile-time shape of a set of
/// <see cref="MlpClassifier"/>s (layer widths, loss, precision) and their parameters packed network after network in
/// <see cref="MlpClassifier.Layers"/> order (per layer W then b).
/// </summary>
internal static class MlpKernels
{
    /// <summary>Layer widths: inputs, hidden…, 1.</summary>
    internal static int[] Sizes(MlpClassifier net) => [net.Layers[0].Inputs, .. net.Layers.Select(l => l.Outputs)];

    /// <summary>Checks that the networks share one shape and loss (the kernels' compile-time sizes).</summary>
    internal static IReadOnlyList<MlpClassifier> CheckShape(IReadOnlyList<MlpClassifier> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        if (networks.Count == 0) throw new ArgumentException("No networks.", nameof(networks));
        var sizes = Sizes(networks[0]);
        foreach (var net in networks)
        {
            if (!Sizes(net).SequenceEqual(sizes)) throw new ArgumentException($"The networks differ in shape ({string.Join('×', Sizes(net))} vs {string.Join('×', sizes)}).", nameof(networks));
            if (net.Loss != networks[0].Loss) throw new ArgumentException("The networks differ in their loss.", nameof(networks));
        }
        if (sizes.Max() > MlpTrainer.KernelMaxWidth) throw new ArgumentException($"The kernels take layers of at most {MlpTrainer.KernelMaxWidth} units.", nameof(networks));
        return networks;
    }

    /// <summary>Parameters per network.</summary>
    internal static int ParameterCount(MlpClassifier net) => net.Layers.Sum(l => l.Weight.Length + l.Bias.Length);

    /// <summary>The work-group size of the training kernel: a power of two, at most 128.</summary>
    internal static int WorkGroup(ComputeDevice device)
    {
        int wg = 1;
        while (wg * 2 <= Math.Min(128, device.MaxWorkGroupSize)) wg *= 2;
        return wg;
    }

    /// <summary>The program of this shape (cached per device and define set).</summary>
    internal static KernelProgram Program(ComputeDevice device, MlpClassifier shape, FlowPrecision precision)
    {
        if (!device.SupportsKernels) throw new ArgumentException($"Device '{device.Id}' does not run kernels; use the managed MLP path.", nameof(device));
        if (!Enum.IsDefined(precision)) throw new ArgumentOutOfRangeException(nameof(precision));
        var sizes = Sizes(shape);
        string S(int v) => v.ToString(CultureInfo.InvariantCulture);
        var defines = new Dictionary<string, string>
        {
            ["MLP_NL"] = S(shape.Layers.Count),
            ["MLP_SIZES"] = string.Join(',', sizes.Select(S)),
            ["MLP_MAXW"] = S(sizes.Max()),
            ["MLP_NP"] = S(ParameterCount(shape)),
            ["MLP_ACTS"] = S(sizes.Skip(1).Sum()),
            ["MLP_WG"] = S(WorkGroup(device)),
            ["MLP_BCE"] = shape.Loss == ClassifierLoss.Bce ? "1" : "0",
            ["MLP_REAL"] = precision == FlowPrecision.Single ? "float" : "double",
        };
        return device.GetProgram(typeof(MlpKernels).Assembly, "mlp.cl", defines);
    }

    /// <summary>The networks' parameters, network after network.</summary>
    internal static double[] Pack(IReadOnlyList<MlpClassifier> networks) =>
        networks.SelectMany(n => n.Layers.SelectMany(l => l.Weight.Concat(l.Bias))).ToArray();

    /// <summary>Writes packed parameters back into the networks' arrays.</summary>
    internal static void Unpack(ReadOnlySpan<double> all, IReadOnlyList<MlpClassifier> networks)
    {
        int o = 0;
        foreach (var net in networks)
            foreach (var l in net.Layers)
            {
                all.Slice(o, l.Weight.Length).CopyTo(l.Weight);
                o += l.Weight.Length;
                all.Slice(o, l.Bias.Length).CopyTo(l.Bias);
                o += l.Bias.Length;
            }
    }
}

/// <summary>
/// Raw outputs f of many <see cref="MlpClassifier"/>s of one shape in one launch (Sources/mlp.cl, mlp_forward: one
/// work-item per event and network), each network on its own input set or sharing one: the kernel path of
/// <see cref="MlpEnsemble.Outputs(ComputeDevice, IReadOnlyList{MlpEnsemble}, IReadOnlyList{double[]})"/>. Parameters are
/// uploaded once (<see cref="Refresh"/> re-uploads them).
/// </summary>
public sealed class KernelMlpEvaluator : IDisposable
{
    private readonly ComputeDevice _device;
    private readonly Kernel _kernel;
    private readonly IReadOnlyList<MlpClassifier> _networks;
    private readonly FlowPrecision _precision;
    private DeviceBuffer _params;

    /// <summary>Compiles the kernel for the networks' shape and uploads their parameters.</summary>
    public KernelMlpEvaluator(ComputeDevice device, IReadOnlyList<MlpClassifier> networks, FlowPrecision precision = FlowPrecision.Double)
    {
        ArgumentNullException.ThrowIfNull(device);
        _networks = MlpKernels.CheckShape(networks);
        _device = device;
        _precision = precision;
        _kernel = MlpKernels.Program(device, networks[0], precision).GetKernel("mlp_forward");
        _params = FlowDeviceData.Upload(device, precision, MlpKernels.Pack(networks));
    }

    /// <summary>Re-uploads the networks' parameters (after they changed on the host).</summary>
    public void Refresh()
    {
        _params.Dispose();
        _params = FlowDeviceData.Upload(_device, _precision, MlpKernels.Pack(_networks));
    }

    /// <summary>
    /// f of every row of network k's input set <paramref name="inputs"/>[<paramref name="setOf"/>[k]] (row-major, rows × inputs,
    /// already standardised as the network was trained), one array per network.
    /// </summary>
    public double[][] Outputs(IReadOnlyList<double[]> inputs, IReadOnlyList<int> setOf)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(setOf);
        if (setOf.Count != _networks.Count) throw new ArgumentException($"{setOf.Count} input sets named for {_networks.Count} networks.", nameof(setOf));
        int d = _networks[0].Layers[0].Inputs;
        var setRow = new long[inputs.Count + 1];
        for (int s = 0; s < inputs.Count; s++)
        {
            if (inputs[s].Length % d != 0) throw new ArgumentException($"Input set {s} holds {inputs[s].Length} values, not whole rows of {d}.", nameof(inputs));
            setRow[s + 1] = setRow[s] + inputs[s].Length / d;
        }
        var rows = new int[_networks.Count];
        var dataOffset = new long[_networks.Count];
        var outOffset = new long[_networks.Count + 1];
        for (int k = 0; k < rows.Length; k++)
        {
            int s = setOf[k];
            if ((uint)s >= (uint)inputs.Count) throw new ArgumentException($"Network {k} names input set {s} of {inputs.Count}.", nameof(setOf));
            dataOffset[k] = setRow[s];
            rows[k] = checked((int)(setRow[s + 1] - setRow[s]));
            outOffset[k + 1] = outOffset[k] + rows[k];
        }
        var result = rows.Select(n => new double[n]).ToArray();
        if (outOffset[^1] == 0) return result;
        using var xs = FlowDeviceData.Upload(_device, _precision, inputs.SelectMany(x => x).ToArray());
        using var offsets = _device.Upload<long>(dataOffset);
        using var counts = _device.Upload<int>(rows);
        using var outs = _device.Upload<long>(outOffset.AsSpan(0, rows.Length));
        using var fs = FlowDeviceData.Allocate(_device, _precision, outOffset[^1]);
        _kernel.Launch(LaunchGrid.Planar(Math.Max(1, rows.Max()), _networks.Count, Math.Min(64, _device.MaxWorkGroupSize), 1), _params, xs, offsets, counts, outs, _networks.Count, fs);
        var all = new double[outOffset[^1]];
        FlowDeviceData.Read(_device, fs, all);
        for (int k = 0; k < rows.Length; k++) all.AsSpan((int)outOffset[k], rows[k]).CopyTo(result[k]);
        return result;
    }

    /// <summary>Releases the parameters on the device.</summary>
    public void Dispose() => _params.Dispose();
}
