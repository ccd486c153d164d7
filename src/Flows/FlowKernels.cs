using System.Globalization;

namespace FastAD.Flows;

/// <summary>
/// The kernel family of a flow and its shape: which sources mirror it (<c>{Prefix}.cl</c> for evaluation,
/// <c>{Prefix}_train.cl</c> for training), their compile-time sizes, how the flows' parameters are packed for them and how
/// much scratch a training step needs. Two flows with equal values (record equality) run in one launch. The host classes
/// (<see cref="KernelFlowEvaluator"/>, <see cref="KernelFlowTrainer"/>) are written once over this; the kernels of every
/// family take the same arguments.
/// </summary>
internal abstract record FlowKernels(int D, int C, int Hidden, int Blocks)
{
    /// <summary>The family and shape of <paramref name="flow"/>, or null with the reason in <paramref name="why"/>.</summary>
    public static FlowKernels? Of(IConditionalFlow flow, out string why)
    {
        why = "";
        switch (flow)
        {
            case Spec13AffineMaf a:
                return new AffineMafKernels(a.D, a.C, a.Hidden, a.Made.Length);
            case NflowsMaf n:
                var first = n.Blocks[0];
                if (first.Transform is not RationalQuadraticTransform spline)
                    why = "the nflows affine MAF has no kernels (the SPEC 1.3 affine MAF and the RQS MAF do)";
                else if (n.Blocks.Any(b => b.IsResidual))
                    why = "residual MADEs have no kernels";
                else if (n.Blocks.Any(b => b.Transform is RationalQuadraticTransform t && t.Hidden != b.H))
                    why = "a spline's width scale is not its MADE's 1/√H (the kernels assume it)";
                else if (n.Blocks.Any(b => b.H != first.H || b.HiddenLayers != first.HiddenLayers || b.Transform is not RationalQuadraticTransform t
                             || t.Bins != spline.Bins || t.TailBound != spline.TailBound))
                    why = "the transforms differ in shape";
                else
                    return new RqsMafKernels(n.D, n.C, first.H, n.Blocks.Length, first.HiddenLayers, spline.Bins, spline.TailBound);
                return null;
            default:
                why = $"a {flow.GetType().Name} has no kernels";
                return null;
        }
    }

    /// <summary>What the kernels are, for the run's summary line.</summary>
    public abstract string Name { get; }

    /// <summary>The sources' stem and the kernels' prefix.</summary>
    public abstract string Prefix { get; }

    /// <summary>The shape in words, for error messages.</summary>
    public virtual string Describe => $"D={D}, C={C}, {Blocks} blocks, H={Hidden}";

    /// <summary>Compile-time sizes of the sources.</summary>
    public abstract Dictionary<string, string> Defines(FlowPrecision precision);

    /// <summary>Evaluation-mode parameters of every flow, packed for <c>{Prefix}.cl</c>.</summary>
    public abstract double[] PackEvaluation(IReadOnlyList<MaskedAutoregressiveFlow> flows);

    /// <summary>The constants of the training kernel (masks, and what else the family needs).</summary>
    public abstract double[] TrainingConstants(IReadOnlyList<MaskedAutoregressiveFlow> flows);

    /// <summary>Scratch values one flow needs for a training minibatch of <paramref name="nb"/> rows.</summary>
    public abstract long ScratchLength(int nb);

    private protected static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private protected Dictionary<string, string> Sizes(string prefix, FlowPrecision precision) => new()
    {
        [prefix + "_D"] = Text(D),
        [prefix + "_C"] = Text(C),
        [prefix + "_H"] = Text(Hidden),
        [prefix + "_B"] = Text(Blocks),
        [prefix + "_REAL"] = precision == FlowPrecision.Single ? "float" : "double",
    };

    /// <summary>Appends each layer's weights (mask applied) and then its bias.</summary>
    private protected static void AppendMasked(List<double> packed, MaskedLinear layer)
    {
        for (int i = 0; i < layer.Weight.Length; i++) packed.Add(layer.Weight[i] * layer.Mask[i]);
    }

    /// <summary>The masks of <paramref name="layers"/>, the same in every flow and block (they follow from the shape).</summary>
    private protected static double[] SharedMasks(IEnumerable<MaskedLinear[]> layers)
    {
        var all = layers.ToArray();
        var first = all[0];
        foreach (var set in all)
            for (int i = 0; i < first.Length; i++)
                if (!set[i].Mask.AsSpan().SequenceEqual(first[i].Mask))
                    throw new InvalidOperationException("The flows' MADE masks differ; the kernels share one set of masks.");
        return first.SelectMany(l => l.Mask).ToArray();
    }
}

/// <summary>
/// The SPEC 1.3 affine MAF (<see cref="Spec13AffineMaf"/>): Sources/maf.cl and maf_train.cl; evaluation parameters
/// packed by <see cref="FlowParameterPacking"/> (batch norm folded from the running statistics).
/// </summary>
internal sealed record AffineMafKernels(int D, int C, int Hidden, int Blocks) : FlowKernels(D, C, Hidden, Blocks)
{
    public override string Name => "affine MAF";
    public override string Prefix => "maf";
    public override Dictionary<string, string> Defines(FlowPrecision precision) => Sizes("MAF", precision);
    public override double[] PackEvaluation(IReadOnlyList<MaskedAutoregressiveFlow> flows) => FlowParameterPacking.Pack(flows.Cast<Spec13AffineMaf>().ToArray());

    public override double[] TrainingConstants(IReadOnlyList<MaskedAutoregressiveFlow> flows) =>
        SharedMasks(flows.Cast<Spec13AffineMaf>().SelectMany(f => f.Made).Select(m => new[] { m.Input, m.Hidden, m.Output }));

    public override long ScratchLength(int nb) =>
        4L * Blocks * nb * D + 2L * Blocks * nb * Hidden + (long)nb * (4 * D + 1 + 2 * Hidden + Math.Max(C, 1)) + 2L * Blocks * D;
}

/// <summary>
/// The nflows rational-quadratic-spline MAF of SPEC 2.1 (<see cref="NflowsMaf"/> with plain relu MADEs): Sources/rqs.cl and
/// rqs_train.cl. Evaluation parameters per block: each layer's weights with the mask applied and its bias, in
/// <see cref="NflowsMadeBlock.Layers"/> order, then the block's permutation as reals.
/// </summary>
internal sealed record RqsMafKernels(int D, int C, int Hidden, int Blocks, int HiddenLayers, int Bins, double TailBound)
    : FlowKernels(D, C, Hidden, Blocks)
{
    public override string Name => "RQS MAF";
    public override string Prefix => "rqs";
    public override string Describe => $"{base.Describe}, {HiddenLayers} hidden layers, {Bins} bins on ±{TailBound.ToString(CultureInfo.InvariantCulture)}";

    public override Dictionary<string, string> Defines(FlowPrecision precision)
    {
        var defines = Sizes("RQS", precision);
        defines["RQS_L"] = Text(HiddenLayers);
        defines["RQS_K"] = Text(Bins);
        defines["RQS_BOUND"] = TailBound.ToString("R", CultureInfo.InvariantCulture);
        return defines;
    }

    public override double[] PackEvaluation(IReadOnlyList<MaskedAutoregressiveFlow> flows)
    {
        var packed = new List<double>();
        foreach (var flow in flows.Cast<NflowsMaf>())
            for (int b = 0; b < flow.Blocks.Length; b++)
            {
                foreach (var layer in flow.Blocks[b].Layers)
                {
                    AppendMasked(packed, layer);
                    packed.AddRange(layer.Bias);
                }
                packed.AddRange(flow.Permutations[b].Select(i => (double)i));
            }
        return packed.ToArray();
    }

    public override double[] TrainingConstants(IReadOnlyList<MaskedAutoregressiveFlow> flows)
    {
        var nflows = flows.Cast<NflowsMaf>().ToArray();
        var masks = SharedMasks(nflows.SelectMany(f => f.Blocks).Select(b => new[] { b.Input }.Concat(b.Hidden).Append(b.Output).ToArray()));
        // The kernel keeps one hidden-layer mask: they are all MadeMasks.HiddenToHidden(D, H).
        int hh = Hidden * Hidden;
        for (int l = 1; l < HiddenLayers; l++)
            if (!masks.AsSpan(Hidden * D + l * hh, hh).SequenceEqual(masks.AsSpan(Hidden * D, hh)))
                throw new InvalidOperationException("The MADE's hidden-layer masks differ; the kernels share one.");
        var shared = masks.AsSpan(0, Hidden * D + hh).ToArray().Concat(masks.AsSpan(Hidden * D + HiddenLayers * hh).ToArray());
        return shared.Concat(nflows.SelectMany(f => f.Permutations.SelectMany(p => p.Select(i => (double)i)))).ToArray();
    }

    public override long ScratchLength(int nb)
    {
        long pd = (3L * Bins - 1) * D;
        return (long)nb * (D * (1 + 2L * Blocks) + Hidden * (2L * Blocks + 2L * Blocks * HiddenLayers) + 2 * Blocks * pd + Math.Max(C, 1));
    }
}
