using FastAD.Kernels;

namespace FastAD.Flows;

/// <summary>
/// The flow-training seam: trains an ensemble on the fastest path a device has for it and says which and why.
/// SPEC 1.3 affine MAFs and SPEC 2.1 RQS MAFs of one shape, whose members differ only in their shuffle seeds, train in one launch per
/// epoch on an OpenCL or CUDA device (<see cref="KernelFlowTrainer"/>, in double precision: parameters, Adam state and
/// arithmetic as the managed path keeps them, so a run trains the same flows to rounding on either path and saved
/// flows mean the same whichever trained them); everything else trains member by member, in parallel, on the managed
/// reference (<see cref="FlowTrainer"/>). Progress may be reported from several threads at once. Analyses call this
/// and never test the device themselves.
/// </summary>
public static class FlowTraining
{
    /// <summary>Whether <see cref="Train"/> trains these flows with kernels on <paramref name="device"/> (for benchmarks that measure that path).</summary>
    public static bool RunsKernels(ComputeDevice device, IReadOnlyList<IConditionalFlow> flows, IReadOnlyList<FlowTrainingOptions> options) =>
        WhyManaged(device, flows, options) is null;

    /// <summary>Where an ensemble of these flows trains on <paramref name="device"/>, and why (for the run's summary line).</summary>
    public static string PathOn(ComputeDevice device, IReadOnlyList<IConditionalFlow> flows, IReadOnlyList<FlowTrainingOptions> options) =>
        WhyManaged(device, flows, options) is { } why
            ? $"on the managed CPU path ({why})"
            : $"in one launch per epoch on {device.Id} ({FlowKernels.Of(flows[0], out _)!.Name} kernels, double precision)";

    /// <summary>
    /// Trains <paramref name="flows"/> (in place) with <paramref name="options"/>[i] for flow i and returns their histories.
    /// <paramref name="trained"/> is called with a member's index as soon as it is trained (at the end on the kernel path,
    /// which trains them together); <paramref name="cancel"/> is checked after every epoch.
    /// </summary>
    public static FlowTrainingResult[] Train(ComputeDevice device, IReadOnlyList<IConditionalFlow> flows, double[] xTrain, double[] cTrain,
        double[] xVal, double[] cVal, IReadOnlyList<FlowTrainingOptions> options, IProgress<(int Member, int Epoch, double Train, double Validation)>? progress = null,
        Action<int>? trained = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(flows);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Count != flows.Count) throw new ArgumentException($"{options.Count} training options for {flows.Count} flows.", nameof(options));
        if (flows.Count == 0) return [];
        var checkedProgress = new Relay<(int Member, int Epoch, double Train, double Validation)>(p =>
        {
            cancel.ThrowIfCancellationRequested();
            progress?.Report(p);
        });
        // The managed trainer's input checks, once and before any path (on the managed path its members would each
        // refuse, wrapped by Parallel.For), so that the path never changes what is refused or how.
        var shape = flows[0];
        FlowTrainer.Validate(xTrain, shape.D, "training features");
        FlowTrainer.Validate(cTrain, Math.Max(shape.C, 1), "training conditions");
        FlowTrainer.Validate(xVal, shape.D, "validation features");
        FlowTrainer.Validate(cVal, Math.Max(shape.C, 1), "validation conditions");
        if (WhyManaged(device, flows, options) is null)
        {
            var mafs = flows.Cast<MaskedAutoregressiveFlow>().ToArray();
            var results = KernelFlowTrainer.Train(device, mafs, xTrain, cTrain, xVal, cVal, options[0], FlowPrecision.Double, checkedProgress,
                options.Select(o => o.Seed).ToArray());
            for (int k = 0; k < flows.Count; k++) trained?.Invoke(k);
            return results;
        }
        var managed = new FlowTrainingResult[flows.Count];
        // With a member per core or more, each member's own loops stay on its thread (FlowParallelism).
        bool serialMembers = flows.Count >= Environment.ProcessorCount;
        Parallel.For(0, flows.Count, new ParallelOptions { CancellationToken = cancel }, k =>
        {
            using var scope = FlowParallelism.Serial(serialMembers);
            var member = new Relay<(int Epoch, double Train, double Validation)>(p => checkedProgress.Report((k, p.Epoch, p.Train, p.Validation)));
            managed[k] = FlowTrainer.Train(flows[k], xTrain, cTrain, xVal, cVal, options[k], member);
            trained?.Invoke(k);
        });
        return managed;
    }

    /// <summary>Why this ensemble trains on the managed path on <paramref name="device"/>, or null when the kernels take it.</summary>
    private static string? WhyManaged(ComputeDevice device, IReadOnlyList<IConditionalFlow> flows, IReadOnlyList<FlowTrainingOptions> options)
    {
        if (!device.SupportsKernels) return $"{device.Id} runs no kernels";
        if (flows.Count == 0) return "no flows";
        var first = FlowKernels.Of(flows[0], out var why);
        if (first is null) return why;
        if (flows.Any(f => f.GetType() != flows[0].GetType() || FlowKernels.Of(f, out _) != first)) return "the flows differ in shape";
        var shared = options[0] with { Seed = 0 };
        if (options.Any(o => o with { Seed = 0 } != shared)) return "the members' training settings differ beyond their seeds";
        return null;
    }

    /// <summary>Reports on the reporting thread, at once (cancellation is checked after every epoch).</summary>
    private sealed class Relay<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
