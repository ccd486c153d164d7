namespace FastAD.Analyses;

/// <summary>
/// What the three analyses' configurations share: the presets (<c>paper</c>, the published configuration, and
/// <c>quick</c>, the demo), YAML over a preset (snake_case keys; unknown keys and wrong types are errors naming the file
/// and line), validation naming the key, and the YAML that <c>--print-config</c> prints.
/// </summary>
/// <typeparam name="TSelf">The analysis's configuration class.</typeparam>
public abstract class AnalysisConfig<TSelf> where TSelf : AnalysisConfig<TSelf>, new()
{
    /// <summary>Base seed: every random stream of the run derives from it.</summary>
    public abstract ulong Seed { get; set; }

    /// <summary>The <c>fastad</c> command of the analysis (for the advice in errors).</summary>
    protected abstract string Command { get; }

    /// <summary>Turns the paper configuration into the quick demo.</summary>
    protected abstract void MakeQuick();

    /// <summary>Checks ranges; errors name the key.</summary>
    public abstract void Validate();

    /// <summary>The paper's configuration.</summary>
    public static TSelf Paper() => new();

    /// <summary>The demo of about a minute on two cores.</summary>
    public static TSelf Quick()
    {
        var c = new TSelf();
        c.MakeQuick();
        return c;
    }

    /// <summary>A preset by name: paper or quick.</summary>
    public static TSelf Preset(string name) => name.ToLowerInvariant() switch
    {
        "paper" => Paper(),
        "quick" => Quick(),
        _ => throw new ArgumentException($"--preset must be paper or quick (got '{name}')."),
    };

    /// <summary>Reads YAML over a preset: keys given replace the preset's values; unknown keys are errors naming the file and line.</summary>
    public static TSelf Load(string path, TSelf preset)
    {
        var result = YamlConfig.Overlay(path, preset, $"fastad {preset.Command}");
        result.Validate();
        return result;
    }

    /// <summary>The configuration as YAML (what <c>--print-config</c> prints).</summary>
    public static string ToYaml(TSelf c) => YamlConfig.ToYaml(c);

    /// <summary>Throws <see cref="ArgumentException"/> with <paramref name="message"/> unless <paramref name="ok"/>.</summary>
    protected static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }
}
