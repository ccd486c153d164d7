using FastAD.Flows;

namespace FastAD.Analyses.Conrad;

/// <summary>
/// Preprocessing fitted on the template. The condition is c = ln(MET / trigger), standardised. Positive features get
/// a log and features in (0, 1) a logit, giving v. For the classifiers in x, v is standardised with the template's
/// mean and standard deviation (<see cref="Features"/>). For the flow, v is standardised conditionally
/// (<see cref="FlowInputs"/>): the template's least-squares line v_j = α_j + β_j c is subtracted and the residual
/// divided by its standard deviation — an affine map for each MET, so the flow still models p(x | MET), but it no
/// longer has to learn the mean shift with MET. That shift is worth only 10⁻³–10⁻² nats of likelihood, so a short
/// training learns it only in part (measured: a residual drift of 0.1–0.2 σ of the latents between MET 700 GeV and
/// the tail), which makes the score depend on MET and breaks the ABCD closure.
/// </summary>
public sealed class ConradPreprocessing
{
    private const double Clip = 1e-6;
    private readonly bool[] _bounded;
    private readonly double[] _mean, _std, _slope, _residualStd;
    private readonly double _trigger, _cMean, _cStd;

    private ConradPreprocessing(bool[] bounded, double[] mean, double[] std, double[] slope, double[] residualStd, double trigger, double cMean, double cStd) =>
        (_bounded, _mean, _std, _slope, _residualStd, _trigger, _cMean, _cStd) = (bounded, mean, std, slope, residualStd, trigger, cMean, cStd);

    /// <summary>Fits the standardisations on the template.</summary>
    public static ConradPreprocessing Fit(ConradSample template, bool[] bounded, double trigger)
    {
        int d = template.D, n = template.Rows;
        var ones = Enumerable.Repeat(1.0, d).ToArray();
        var raw = new ConradPreprocessing(bounded, new double[d], ones, new double[d], ones, trigger, 0, 1);
        var v = raw.Features(template.Features);
        var (m, s) = Standardization.Of(v, d);
        var (cm, cs) = Standardization.Of(raw.Conditions(template.Met), 1);
        var c = new ConradPreprocessing(bounded, m, s, new double[d], ones, trigger, cm[0], cs[0]).Conditions(template.Met);
        // Least squares on the standardised condition (mean 0, variance 1): β_j = cov(v_j, c), residual variance var(v_j) − β_j².
        var slope = new double[d];
        var residualStd = new double[d];
        for (int j = 0; j < d; j++)
        {
            double cov = 0;
            for (int i = 0; i < n; i++) cov += (v[i * d + j] - m[j]) * c[i];
            slope[j] = cov / n;
            residualStd[j] = Math.Sqrt(Math.Max(s[j] * s[j] - slope[j] * slope[j], 1e-12 * s[j] * s[j]));
        }
        return new ConradPreprocessing(bounded, m, s, slope, residualStd, trigger, cm[0], cs[0]);
    }

    /// <summary>Standardised log/logit features, row-major (the classifiers in x).</summary>
    public double[] Features(double[] x)
    {
        int d = _bounded.Length;
        var r = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int j = i % d;
            r[i] = (Transformed(x[i], j) - _mean[j]) / _std[j];
        }
        return r;
    }

    /// <summary>
    /// The flow's inputs: log/logit features with the template's linear dependence on the standardised condition
    /// removed, (v_j − α_j − β_j c) / σ_j, row-major.
    /// </summary>
    public double[] FlowInputs(double[] x, double[] met)
    {
        int d = _bounded.Length;
        if (x.Length != met.Length * d) throw new ArgumentException($"{x.Length} feature values for {met.Length} events of {d} features.");
        var c = Conditions(met);
        var r = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int j = i % d;
            r[i] = (Transformed(x[i], j) - _mean[j] - _slope[j] * c[i / d]) / _residualStd[j];
        }
        return r;
    }

    /// <summary>Standardised ln(MET / trigger).</summary>
    public double[] Conditions(double[] met) => met.Select(m => (Math.Log(m / _trigger) - _cMean) / _cStd).ToArray();

    /// <summary>
    /// The flow's condition: the standardised ln(MET / trigger) squashed smoothly beyond ±<see cref="ConditionRange"/>,
    /// B tanh(c / B). ln MET is exponential above the trigger, so the standardised condition runs out to 7–10 in the
    /// MET tail (the signal region starts at about 1); unsquashed, the few tail events drive the condition weights
    /// of a short Adam training in a random walk that the likelihood hardly penalises, and the latents of the
    /// signal region drift. The map is monotone, so the flow is still a density conditional on MET.
    /// </summary>
    public double[] FlowConditions(double[] met) => Conditions(met).Select(c => ConditionRange * Math.Tanh(c / ConditionRange)).ToArray();

    /// <summary>Where <see cref="FlowConditions"/> starts to squash (standard deviations of the template's ln MET).</summary>
    public const double ConditionRange = 2.5;

    /// <summary>The MET of a flow condition (the inverse of <see cref="FlowConditions"/>).</summary>
    public double MetOfFlowCondition(double c) => _trigger * Math.Exp(_cMean + _cStd * Math.Atanh(Math.Clamp(c / ConditionRange, -1 + 1e-15, 1 - 1e-15)));

    /// <summary>Refuses raw rows (row-major) that the map cannot take: a feature that gets a logarithm must be positive.</summary>
    public void CheckRawFeatures(double[] x, IReadOnlyList<string> names, string source)
    {
        int d = _bounded.Length;
        for (int i = 0; i < x.Length; i++)
            if (!_bounded[i % d] && !(x[i] > 0))
                throw new InvalidDataException($"{source}: {names[i % d]} is {x[i]} at data row {i / d + 1}; CONRAD's flows take the logarithm of it, so it must be positive.");
    }

    /// <summary>Kind name of this preprocessing in a flow file.</summary>
    public const string SavedKind = "conrad-v1";

    /// <summary>
    /// The preprocessing as saved beside CONRAD's flows, so that a flow file maps raw features and MET (what
    /// <c>fastad flow-latent</c> reads) exactly as in training.
    /// </summary>
    public FlowPreprocessing ToSaved() => new(SavedKind, new Dictionary<string, double[]>
    {
        ["bounded"] = _bounded.Select(b => b ? 1.0 : 0.0).ToArray(), ["mean"] = _mean, ["std"] = _std, ["slope"] = _slope, ["residual_std"] = _residualStd,
        ["condition"] = [_trigger, _cMean, _cStd, ConditionRange],
    });

    /// <summary>The preprocessing saved in a flow file by <see cref="ToSaved"/>; errors name the file.</summary>
    public static ConradPreprocessing FromSaved(FlowPreprocessing saved, string path, int features)
    {
        if (saved.Kind != SavedKind) throw new InvalidDataException($"{path} holds preprocessing '{saved.Kind}'; expected {SavedKind}.");
        double[] Get(string key, int length) => saved.Values.TryGetValue(key, out var v) && v is not null && v.Length == length && v.All(double.IsFinite) ? v
            : throw new InvalidDataException($"{path}: the preprocessing's '{key}' is missing, not {length} finite numbers long, or damaged.");
        var cond = Get("condition", 4);
        if (cond[3] != ConditionRange || !(cond[0] > 0) || !(cond[2] > 0))
            throw new InvalidDataException($"{path}: the preprocessing's condition (trigger {cond[0]}, scale {cond[2]}, range {cond[3]}) is not one this FastAD maps.");
        return new ConradPreprocessing(Get("bounded", features).Select(b => b != 0).ToArray(), Get("mean", features), Get("std", features), Get("slope", features),
            Get("residual_std", features), cond[0], cond[1], cond[2]);
    }

    private double Transformed(double v, int j) => _bounded[j] ? Logit(Math.Clamp(v, Clip, 1 - Clip)) : Math.Log(v);

    private static double Logit(double p) => Math.Log(p / (1 - p));
}
