using FastAD.Cli;

namespace FastAD.Cli.Tests;

/// <summary>Runs the command tree in-process against wide, colourless consoles (standard error unwrapped, as for a redirected process) and captures what it prints.</summary>
internal static class CliRunner
{
    /// <summary>Exit code and everything printed (standard output and standard error, interleaved as written).</summary>
    internal static (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        int code = FastAdCommand.Run(args, FastAdCommand.Plain(writer, 240), FastAdCommand.Plain(writer, 240));
        return (code, writer.ToString());
    }

    /// <summary>Exit code, standard output and standard error apart.</summary>
    internal static (int Code, string Out, string Err) RunSplit(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = FastAdCommand.Run(args, FastAdCommand.Plain(output, 240), FastAdCommand.Plain(error, FastAdCommand.Unwrapped));
        return (code, output.ToString(), error.ToString());
    }
}
