using FastAD.Analyses;
using FastAD.Analyses.Cathode;

namespace FastAD.Cli;

/// <summary>The --method value of `fastad cathode` and `fastad scan`: a comma-separated list of SPEC 6 methods.</summary>
internal static class MethodList
{
    /// <summary>"cathode,cwola" → the methods in the order given (repeats kept); an error naming an unknown one or an empty list.</summary>
    internal static List<AnomalyMethod> Parse(string text)
    {
        var methods = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(m => EnumText.Parse<AnomalyMethod>(m, "--method")).ToList();
        if (methods.Count == 0) throw new ArgumentException($"--method names no method; give one or more of {EnumText.Choices(typeof(AnomalyMethod))}.");
        return methods;
    }
}
