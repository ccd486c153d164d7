using FastAD.Analyses.Conrad;
using FastAD.Analyses.Reports;
using FastAD.Flows;

namespace FastAD.Analyses.Flows;

/// <summary>What <c>fastad flow-latent</c> asks for: a flow file, a table, and where to write z.</summary>
public sealed record FlowLatentRequest(string FlowFile, string DataFile, string OutFile, IReadOnlyList<string>? Features = null,
    IReadOnlyList<string>? Conditions = null, IReadOnlyDictionary<string, string>? Where = null, int Member = 0);

/// <summary>
/// The result: rows mapped, rows whose conditions lie outside the flow's training range (with that range in the
/// table's units), and the mean log-density (standardised units).
/// </summary>
public sealed record FlowLatentReport(int Rows, int ConditionsOutside, ConditionRange? TrainingConditionRange, double MeanLogProb, string OutFile);

/// <summary>
/// Maps table rows to the latent space of a trained flow (CONRAD's z = T(x|c)): standardises the columns as the flow
/// was trained, writes z_0 … z_{D−1}, log_det (of ∂z/∂x in standardised units) and log_prob per row, and counts
/// rows whose conditions fall outside the training range.
/// </summary>
public static class FlowLatentJob
{
    /// <summary>Runs the mapping.</summary>
    public static FlowLatentReport Run(FlowLatentRequest r)
    {
        var saved = FlowFile.LoadSaved(r.FlowFile);
        var ensemble = saved.Ensemble;
        if (r.Member < 0 || r.Member >= ensemble.Members.Count)
            throw new ArgumentException($"--member {r.Member + 1}: {r.FlowFile} holds {ensemble.Members.Count} flow(s).");
        var features = r.Features is { Count: > 0 } ? r.Features : saved.FeatureNames
            ?? throw new ArgumentException($"{r.FlowFile} does not name its feature columns; give --features.");
        var conditions = r.Conditions is { Count: > 0 } ? r.Conditions : saved.ConditionNames ?? [];
        if (features.Count != ensemble.D || conditions.Count != ensemble.C)
            throw new ArgumentException($"{r.FlowFile} models {ensemble.D} features given {ensemble.C} conditions; got {features.Count} feature and {conditions.Count} condition columns.");
        var (x, c, rows) = FlowTable.Read(r.DataFile, r.Where, features, conditions);
        var s = saved.Standardization;
        if (s is not null)
        {
            Standardization.Apply(x, s.FeatureMean, s.FeatureStd);
            if (ensemble.C > 0) Standardization.Apply(c, s.ConditionMean, s.ConditionStd);
        }
        // A flow trained by an analysis with its own map from raw columns to the flow's inputs (CONRAD: log/logit, the
        // MET-dependent standardisation and the squashed ln MET) carries that map: the rows are mapped as in training.
        ConradPreprocessing? conrad = null;
        if (saved.Preprocessing is { } p)
        {
            if (p.Kind != ConradPreprocessing.SavedKind)
                throw new InvalidDataException($"{r.FlowFile} holds preprocessing '{p.Kind}', which this FastAD does not know; expected {ConradPreprocessing.SavedKind}.");
            if (ensemble.C != 1) throw new InvalidDataException($"{r.FlowFile}: CONRAD's preprocessing needs one condition column (MET); the flows have {ensemble.C}.");
            conrad = ConradPreprocessing.FromSaved(p, r.FlowFile, ensemble.D);
            if (c.Any(m => !(m > 0))) throw new InvalidDataException($"{r.DataFile}: the condition column {conditions[0]} holds values ≤ 0; CONRAD's flows are conditioned on ln MET.");
            conrad.CheckRawFeatures(x, features, r.DataFile);
            (x, c) = (conrad.FlowInputs(x, c), conrad.FlowConditions(c));
        }
        int outside = ensemble.ConditionRange?.CountOutside(c, rows) ?? 0;
        var flow = ensemble.Members[r.Member];
        int d = flow.D;
        var z = new double[rows * d];
        var logDet = new double[rows];
        flow.LatentInChunks(x, c, z, logDet, rows);
        var logProb = new double[rows];
        flow.LogProbInChunks(x, c, logProb, rows);
        var header = Enumerable.Range(0, d).Select(j => $"z_{j}").Append("log_det").Append("log_prob").ToArray();
        var table = new CsvTable(header);
        for (int n = 0; n < rows; n++)
            table.AddRow(Enumerable.Range(0, d + 2).Select(j => (object)(j < d ? z[n * d + j] : j == d ? logDet[n] : logProb[n])).ToArray());
        table.Save(r.OutFile);
        var range = conrad is not null && ensemble.ConditionRange is { } cr
            ? new ConditionRange(cr.Min.Select(conrad.MetOfFlowCondition).ToArray(), cr.Max.Select(conrad.MetOfFlowCondition).ToArray())
            : s is not null && ensemble.C > 0 ? ensemble.ConditionRange?.Unstandardised(s.ConditionMean, s.ConditionStd) : ensemble.ConditionRange;
        return new FlowLatentReport(rows, outside, range, rows > 0 ? logProb.Average() : double.NaN, r.OutFile);
    }
}
