using FastAD.Cli;
using Spectre.Console;

namespace FastAD.Cli.Tests;

/// <summary>Runs the command tree in-process against wide, colourless consoles and captures what it prints.</summary>
internal static class CliRunner
{
    /// <summary>Exit code and everything printed (standard output and standard error, interleaved as written).</summary>
    internal static (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        int code = FastAdCommand.Run(args, Console(writer), Console(writer));
        return (code, writer.ToString());
    }

    /// <summary>Exit code, standard output and standard error apart.</summary>
    internal static (int Code, string Out, string Err) RunSplit(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = FastAdCommand.Run(args, Console(output), Console(error));
        return (code, output.ToString(), error.ToString());
    }

    private static IAnsiConsole Console(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 240;
        return console;
    }
}
