using FastAD.Flows;

namespace FastAD.Analyses;

/// <summary>
/// The flow stage every analysis shares: the members of an ensemble trained concurrently on one split, the stage's
/// progress counted in epochs, the cancellation token checked after every epoch, and each member saved as soon as it is
/// trained (so an interrupted run keeps the finished ones). A member the caller can reuse is not trained.
/// </summary>
internal static class FlowStage
{
    /// <summary>One member: the flow, and its training history (null when it was reused).</summary>
    public readonly record struct Member<TFlow>(TFlow Flow, FlowTrainingResult? Training);

    /// <summary>Trains (or reuses) <paramref name="members"/> flows on the path the run's device gives them (<see cref="FlowTraining"/>).</summary>
    /// <param name="run">The run: its device (the flow-training seam picks the kernel or the managed path), progress and cancellation.</param>
    /// <param name="members">Ensemble size.</param>
    /// <param name="reuse">A saved member to use instead of training (or null).</param>
    /// <param name="create">A fresh, seeded member.</param>
    /// <param name="options">Training options of a member.</param>
    /// <param name="save">Writes a trained member (atomically).</param>
    /// <param name="xTrain">Training features (rows × D).</param>
    /// <param name="cTrain">Training conditions.</param>
    /// <param name="xVal">Validation features.</param>
    /// <param name="cVal">Validation conditions.</param>
    /// <param name="epochs">Epochs per member (the progress total).</param>
    /// <param name="stage">Stage name for progress.</param>
    /// <param name="note">Note shown when the stage starts (where the flows train is added to it).</param>
    public static Member<TFlow>[] Train<TFlow>(RunContext run, int members, Func<int, TFlow?> reuse, Func<int, TFlow> create, Func<int, FlowTrainingOptions> options,
        Action<int, TFlow> save, double[] xTrain, double[] cTrain, double[] xVal, double[] cVal, int epochs, string stage, string note) where TFlow : class, IConditionalFlow
    {
        var result = new Member<TFlow>[members];
        var epochsDone = new int[members];
        double total = (double)members * epochs;
        var fresh = new List<int>();
        for (int k = 0; k < members; k++)
        {
            if (reuse(k) is { } saved)
            {
                result[k] = new Member<TFlow>(saved, null);
                epochsDone[k] = epochs;
            }
            else fresh.Add(k);
        }
        var flows = fresh.Select(create).ToArray();
        var settings = fresh.Select(options).ToArray();
        string where = flows.Length == 0 ? "" : $"; {FlowTraining.PathOn(run.Device, flows, settings)}";
        run.Report(stage, epochsDone.Sum(), total, note + where);
        var bar = new CallbackProgress<(int Member, int Epoch, double Train, double Validation)>(p =>
        {
            lock (epochsDone)
            {
                epochsDone[fresh[p.Member]] = p.Epoch + 1;
                run.Report(stage, epochsDone.Sum(), total);
            }
        });
        var histories = FlowTraining.Train(run.Device, flows, xTrain, cTrain, xVal, cVal, settings, bar, i => save(fresh[i], flows[i]), run.Cancel);
        for (int i = 0; i < fresh.Count; i++) result[fresh[i]] = new Member<TFlow>(flows[i], histories[i]);
        return result;
    }
}
