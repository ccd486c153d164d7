using FastAD.Kernels.IO;

namespace FastAD.Analyses;

/// <summary>
/// The models folder of a run (<c>OUT/models</c>) for all three analyses: where each model is saved as soon as it is
/// trained, what it was trained from (a <see cref="ModelFingerprint"/> digest per group of models, beside them, and the
/// digest again in each file's <see cref="ModelIdentity"/>), and whether a saved model is used again. With
/// <see cref="Reuse"/> a model is loaded only when it was trained from the same inputs and its file is intact and
/// carries the expected identity; otherwise it is retrained with a warning naming the file and why. With
/// <see cref="KeepSaved"/> (pseudoexperiments, which build on the main run's models) a saved model that does not fit
/// is refused, never replaced.
/// </summary>
/// <param name="outDir">The run's output folder.</param>
/// <param name="reuse">Use saved models of the same inputs instead of retraining.</param>
/// <param name="command">The command whose runs make these models (<c>cathode</c>, <c>conrad</c>, <c>simad</c>), for the advice in refusals.</param>
/// <param name="keepSaved">Refuse, rather than replace, saved models of other inputs.</param>
public sealed class ModelStore(string outDir, bool reuse, string command, bool keepSaved = false)
{
    /// <summary>Members of one group are numbered below this (flow-os-0 … flow-os-99).</summary>
    public const int MaxMembers = 100;

    /// <summary>The run's output folder.</summary>
    public string OutDir { get; } = outDir;

    /// <summary>The models folder.</summary>
    public string Folder => Path.Combine(OutDir, "models");

    /// <summary>Whether saved models of the same inputs are used instead of retrained.</summary>
    public bool Reuse { get; } = reuse;

    /// <summary>Whether saved models of other inputs are refused rather than replaced.</summary>
    public bool KeepSaved { get; } = keepSaved;

    /// <summary>The command whose runs make these models.</summary>
    public string Command { get; } = command;

    /// <summary>What to do about a saved model that cannot be used where it cannot be retrained.</summary>
    public string RetrainHint => $"Run `fastad {Command} --reuse` with the same options and --out to retrain it.";

    /// <summary>The same folder, keeping (refusing to replace) what is saved there.</summary>
    public ModelStore Keeping() => new(OutDir, reuse: true, Command, keepSaved: true);

    /// <summary>Path of a model file (or any file) in the models folder.</summary>
    public string PathOf(string file) => Path.Combine(Folder, file);

    /// <summary>The file holding the fingerprint of a group's inputs.</summary>
    public string InputsPath(string group) => PathOf($"{group}.inputs");

    /// <summary>Whether the saved fingerprint of <paramref name="group"/> is <paramref name="inputs"/>.</summary>
    public bool Matches(string group, string inputs) => ModelFingerprint.Matches(InputsPath(group), inputs);

    /// <summary>
    /// Opens an ensemble saved one file per member (<paramref name="memberFile"/> k) under one group fingerprint, and
    /// returns, per member, the saved model to use (null: train it). Saved members of other inputs are removed (with a
    /// warning under --reuse) and the new fingerprint is written before anything trains, so an interrupted run never
    /// leaves models of other inputs under it; with <see cref="KeepSaved"/> they are refused instead.
    /// </summary>
    /// <param name="run">The run (warnings go to its progress).</param>
    /// <param name="stage">Stage name of the warnings.</param>
    /// <param name="what">What the models are, for messages ("OS flows").</param>
    /// <param name="group">Group name: its fingerprint is <c>group.inputs</c>.</param>
    /// <param name="inputs">Fingerprint of this run's training inputs.</param>
    /// <param name="members">Members wanted.</param>
    /// <param name="memberFile">File name of member k.</param>
    /// <param name="load">Loads member k from a path (throws <see cref="ModelFileException"/> when damaged or not member k of these inputs).</param>
    /// <param name="fits">Whether a loaded member has the configured shape.</param>
    public T?[] OpenMembers<T>(RunContext run, string stage, string what, string group, string inputs, int members, Func<int, string> memberFile,
        Func<string, int, T> load, Func<T, bool> fits) where T : class
    {
        if (members > MaxMembers) throw new ArgumentOutOfRangeException(nameof(members), $"at most {MaxMembers} members per group.");
        Directory.CreateDirectory(Folder);
        bool same = Reuse && Matches(group, inputs);
        if (!same)
        {
            var stale = Enumerable.Range(0, MaxMembers).Select(k => PathOf(memberFile(k))).Where(File.Exists).ToArray();
            if (KeepSaved && stale.Length > 0)
                throw new InvalidDataException($"The {what} in {Folder} were trained on other inputs (data, seed or configuration, or an earlier FastAD's " +
                                               $"random streams) than this run's: use the options of the `fastad {Command}` run that made them, run `fastad {Command} --reuse` " +
                                               "with this FastAD to retrain them, or use another --out.");
            if (Reuse && stale.Length > 0)
                run.Warn(stage, $"the saved {what} in {Folder} were trained on other inputs (data, seed or configuration): retraining");
            foreach (var f in stale) File.Delete(f);
            ModelFingerprint.Write(InputsPath(group), inputs);
        }
        var reusable = new T?[members];
        for (int k = 0; k < members && same; k++)
        {
            string path = PathOf(memberFile(k));
            if (!File.Exists(path)) continue;
            var loaded = Load(run, stage, path, p => load(p, k));
            reusable[k] = loaded is not null && fits(loaded) ? loaded : null;
        }
        return reusable;
    }

    /// <summary>
    /// The saved single model <paramref name="file"/> of group <paramref name="group"/> when it was trained from
    /// <paramref name="inputs"/> and its file is intact (null: train it, then <see cref="SaveSingle"/>). Under --reuse a
    /// model of other inputs or a damaged file gives a warning and is retrained; with <see cref="KeepSaved"/> it is refused.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="stage">Stage name of the notes.</param>
    /// <param name="file">File name in the models folder.</param>
    /// <param name="group">Group name of its fingerprint.</param>
    /// <param name="inputs">Fingerprint of this run's training inputs.</param>
    /// <param name="load">Loads the model (throws <see cref="ModelFileException"/> when damaged or of another identity).</param>
    /// <param name="upstreamReused">False when a model it depends on was retrained: then it is retrained too.</param>
    /// <param name="inputsAre">What its inputs are, for the messages.</param>
    public T? OpenSingle<T>(RunContext run, string stage, string file, string group, string inputs, Func<string, T> load, bool upstreamReused = true,
        string inputsAre = "data, flows or configuration") where T : class
    {
        string path = PathOf(file);
        if (KeepSaved && !File.Exists(path))
            throw new FileNotFoundException($"{path} does not exist: run `fastad {Command}` with the same options and --out first.", path);
        if (!Reuse || !File.Exists(path)) return null;
        if (!Matches(group, inputs) || !upstreamReused)
        {
            if (KeepSaved)
                throw new InvalidDataException($"{path} was trained on other inputs ({inputsAre}) than this run's: " +
                                               $"run `fastad {Command}` with the same options and --out first.");
            run.Warn(stage, $"{path} was trained on other inputs ({inputsAre}): retraining");
            return null;
        }
        var loaded = Load(run, stage, path, load);
        if (loaded is not null) run.Report(stage, 1, 1, $"reused {path}");
        return loaded;
    }

    /// <summary>
    /// Saves a single model trained from <paramref name="inputs"/>: the old fingerprint is removed first, so a run stopped
    /// between saving the model and recording its inputs never leaves the old inputs' fingerprint beside the new model.
    /// </summary>
    public void SaveSingle(string file, string group, string inputs, Action<string> save)
    {
        Directory.CreateDirectory(Folder);
        File.Delete(InputsPath(group));
        save(PathOf(file));
        ModelFingerprint.Write(InputsPath(group), inputs);
    }

    private T? Load<T>(RunContext run, string stage, string path, Func<string, T> load) where T : class
    {
        try { return load(path); }
        catch (ModelFileException e) when (!KeepSaved)
        {
            run.Warn(stage, $"{path} {e.Reason}; retraining");
            return null;
        }
        catch (ModelFileException e)
        {
            throw e.WithHint(RetrainHint);
        }
    }
}
