using FastAD.Cli;
using Spectre.Console;

namespace FastAD.Cli.Tests;

/// <summary>Runs the command tree in-process against a wide, colourless console and captures what it prints.</summary>
internal static class CliRunner
{
    internal static (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 240;
        int code = FastAdCommand.Run(args, console);
        return (code, writer.ToString());
    }
}
