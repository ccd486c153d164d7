using System.CommandLine;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary>
/// The options every analysis command shares — --data / --generate, --config over --preset, --device, --out, --seed,
/// --quiet, --print-config — and the steps they share: the configuration from preset, file and options (printed and
/// done with --print-config), and the choice between a data file and the generator.
/// </summary>
internal sealed class AnalysisOptions
{
    internal AnalysisOptions(string dataHelp, string generateHelp, string presetHelp, string outputHelp, string defaultOut)
    {
        Data = new Option<string?>("--data") { Description = dataHelp };
        Generate = new Option<bool>("--generate") { Description = generateHelp };
        Config = new Option<string?>("--config") { Description = "YAML configuration over the preset (see --print-config); unknown keys are errors." };
        Preset = new Option<string>("--preset") { Description = presetHelp, DefaultValueFactory = _ => "paper" };
        Device = FastAdCommand.DeviceOption();
        Output = new Option<string>("--out") { Description = outputHelp, DefaultValueFactory = _ => defaultOut };
        Seed = new Option<ulong?>("--seed") { Description = "Base seed (overrides the config)." };
        Quiet = new Option<bool>("--quiet") { Description = "No progress bars; only the final table (and warnings)." };
        PrintConfig = new Option<bool>("--print-config") { Description = "Print the configuration (preset, then --config and options applied) as YAML and exit." };
    }

    internal Option<string?> Data { get; }
    internal Option<bool> Generate { get; }
    internal Option<string?> Config { get; }
    internal Option<string> Preset { get; }
    internal Option<string> Device { get; }
    internal Option<string> Output { get; }
    internal Option<ulong?> Seed { get; }
    internal Option<bool> Quiet { get; }
    internal Option<bool> PrintConfig { get; }

    /// <summary>Adds the shared options to <paramref name="command"/>, around the command's own <paramref name="specific"/> ones.</summary>
    internal Command With(Command command, params Option[] specific)
    {
        command.Options.Add(Data);
        command.Options.Add(Generate);
        foreach (var o in specific) command.Options.Add(o);
        foreach (var o in new Option[] { Config, Preset, Device, Output, Seed, Quiet, PrintConfig }) command.Options.Add(o);
        return command;
    }

    /// <summary>
    /// The configuration: <paramref name="preset"/>, then --config through <paramref name="load"/>, --seed, the command's own
    /// options (<paramref name="apply"/>), validated. With --print-config it is printed as YAML and null is returned.
    /// </summary>
    internal T? Configuration<T>(ParseResult parse, IAnsiConsole console, Func<string, T> preset, Func<string, T, T> load, Action<T, ulong> seed,
        Action<T> apply, Action<T> validate, Func<T, string> yaml) where T : class
    {
        var c = preset(parse.GetValue(Preset)!);
        if (parse.GetValue(Config) is { } path) c = load(path, c);
        if (parse.GetValue(Seed) is { } s) seed(c, s);
        apply(c);
        validate(c);
        if (!parse.GetValue(PrintConfig)) return c;
        console.Profile.Out.Writer.Write(yaml(c));
        return null;
    }

    /// <summary>The --data file, or null for --generate; exactly one of the two must be given.</summary>
    internal string? DataFile(ParseResult parse)
    {
        bool generate = parse.GetValue(Generate);
        string? file = parse.GetValue(Data);
        if (generate == (file is not null)) throw new ArgumentException("Give either --data FILE or --generate.");
        return file;
    }
}
