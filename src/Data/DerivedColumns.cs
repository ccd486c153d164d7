using System.Globalization;
using System.Linq.Expressions;
using DynamicExpresso;
using DynamicExpresso.Exceptions;

namespace FastAD.Data;

/// <summary>
/// Columns computed from others, as <c>--derive "mjj=mass(pxj1, pyj1, pzj1, mj1, pxj2, pyj2, pzj2, mj2)"</c> or a
/// configuration's <c>columns.derive</c> list asks: <c>NAME = EXPRESSION</c>, evaluated row by row in double precision,
/// each definition seeing the columns before it (so <c>tau21j1 = tau2j1 / tau1j1</c> may follow and be used by a later
/// one). Expressions are parsed by DynamicExpresso (C# expression syntax) and compiled once to a delegate; only the
/// table's columns, the constants <c>pi</c> and <c>e</c> and the functions listed in <see cref="Functions"/> are
/// visible. Grammar (docs/DATA.md): numbers (<c>3.5</c>, <c>1e-3</c>), column names (C# identifiers: letters, digits,
/// underscores), <c>+ - * / %</c>, parentheses, comparisons <c>&lt; &lt;= &gt; &gt;= == !=</c>, <c>&amp;&amp; || !</c>
/// and <c>cond ? a : b</c>; a true/false result is stored as 1/0. There is no <c>^</c> power operator (C#'s <c>^</c> is
/// exclusive or); write <c>pow(x, 2)</c>.
/// </summary>
public static class DerivedColumns
{
    /// <summary>The functions an expression may call, with their arity, for the documentation and error messages.</summary>
    public static readonly IReadOnlyList<string> Functions =
    [
        "sqrt(x)", "exp(x)", "log(x)", "log10(x)", "abs(x)", "pow(x, y)", "min(x, y)", "max(x, y)", "floor(x)", "ceil(x)",
        "sin(x)", "cos(x)", "tan(x)", "asin(x)", "acos(x)", "atan(x)", "atan2(y, x)", "sinh(x)", "cosh(x)", "tanh(x)",
        "hypot(x, y)", "mass(px1, py1, pz1, m1, px2, py2, pz2, m2)",
    ];

    /// <summary>The invariant mass of two four-momenta given as (px, py, pz, m): √((E₁+E₂)² − |p⃗₁+p⃗₂|²).</summary>
    public static double Mass(double px1, double py1, double pz1, double m1, double px2, double py2, double pz2, double m2)
    {
        double e1 = Math.Sqrt(px1 * px1 + py1 * py1 + pz1 * pz1 + m1 * m1), e2 = Math.Sqrt(px2 * px2 + py2 * py2 + pz2 * pz2 + m2 * m2);
        double px = px1 + px2, py = py1 + py2, pz = pz1 + pz2, e = e1 + e2;
        return Math.Sqrt(Math.Max(0, e * e - px * px - py * py - pz * pz));
    }

    private static Interpreter NewInterpreter()
    {
        var interpreter = new Interpreter(InterpreterOptions.None);
        interpreter.SetVariable("pi", Math.PI);
        interpreter.SetVariable("e", Math.E);
        void F1(string name, Func<double, double> f) => interpreter.SetFunction(name, f);
        void F2(string name, Func<double, double, double> f) => interpreter.SetFunction(name, f);
        F1("sqrt", Math.Sqrt); F1("exp", Math.Exp); F1("log", Math.Log); F1("log10", Math.Log10); F1("abs", Math.Abs);
        F1("floor", Math.Floor); F1("ceil", Math.Ceiling); F1("sin", Math.Sin); F1("cos", Math.Cos); F1("tan", Math.Tan);
        F1("asin", Math.Asin); F1("acos", Math.Acos); F1("atan", Math.Atan); F1("sinh", Math.Sinh); F1("cosh", Math.Cosh); F1("tanh", Math.Tanh);
        F2("pow", Math.Pow); F2("min", Math.Min); F2("max", Math.Max); F2("atan2", Math.Atan2); F2("hypot", (x, y) => Math.Sqrt(x * x + y * y));
        interpreter.SetFunction("mass", (Func<double, double, double, double, double, double, double, double, double>)Mass);
        return interpreter;
    }

    /// <summary>
    /// The table with each definition's column added (or replaced) in order. A malformed definition, an unknown column
    /// or function, or a text column in an expression is an <see cref="ArgumentException"/> naming the definition and,
    /// where there is one, <paramref name="source"/>.
    /// </summary>
    public static EventTable Apply(EventTable table, IEnumerable<string> definitions, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        foreach (var definition in definitions)
        {
            var (name, expression) = Split(definition);
            table = table.WithColumn(name, Evaluate(table, expression, definition, source));
        }
        return table;
    }

    private static (string Name, string Expression) Split(string definition)
    {
        int eq = definition.IndexOf('=', StringComparison.Ordinal);
        string name = eq < 0 ? "" : definition[..eq].Trim();
        string expression = eq < 0 ? "" : definition[(eq + 1)..].Trim();
        if (eq < 0 || name.Length == 0 || expression.Length == 0 || expression.StartsWith('='))
            throw new ArgumentException($"--derive '{definition}': expected NAME=EXPRESSION, e.g. tau21j1=tau2j1/tau1j1.");
        return (name, expression);
    }

    private static double[] Evaluate(EventTable table, string expression, string definition, string? source)
    {
        string where = source is null ? $"--derive '{definition}'" : $"--derive '{definition}' on {source}";
        var interpreter = NewInterpreter();
        var unknown = interpreter.DetectIdentifiers(expression).UnknownIdentifiers.ToList();
        foreach (var column in unknown)
        {
            if (!table.Has(column))
                throw new ArgumentException(
                    $"{where}: '{column}' is neither a column nor a function; columns are: {string.Join(", ", table.ColumnNames)}; functions: {string.Join(", ", Functions)}.");
            if (table.TypeOf(column) == ColumnType.Text) throw new ArgumentException($"{where}: column '{column}' holds text, not numbers.");
        }
        var parameters = unknown.Select(c => new Parameter(c, typeof(double))).ToArray();
        Lambda lambda;
        try
        {
            lambda = interpreter.Parse(expression, parameters);
        }
        catch (Exception e) when (e is ParseException or InvalidOperationException or ArgumentException)
        {
            string hint = expression.Contains('^', StringComparison.Ordinal) ? "; there is no ^ power operator, write pow(x, 2)" : "";
            throw new ArgumentException($"{where}: {e.Message.TrimEnd('.')}{hint} (grammar: docs/DATA.md, derived columns).", e);
        }
        var body = lambda.Expression;
        if (body.Type == typeof(bool)) body = Expression.Condition(body, Expression.Constant(1.0), Expression.Constant(0.0));
        else if (body.Type != typeof(double))
        {
            if (!body.Type.IsPrimitive) throw new ArgumentException($"{where}: the expression gives {body.Type.Name}, not a number.");
            body = Expression.Convert(body, typeof(double));
        }
        var row = Expression.Parameter(typeof(double[]), "row");
        var variables = parameters.Select(p => p.Expression).ToArray();
        var assign = variables.Select((v, i) => (Expression)Expression.Assign(v, Expression.ArrayIndex(row, Expression.Constant(i))));
        var f = Expression.Lambda<Func<double[], double>>(Expression.Block(variables, assign.Append(body)), row).Compile();
        var inputs = unknown.Select(c => table.Column(c) as double[] ?? table.GetDouble(c)).ToArray();
        var result = new double[table.RowCount];
        var values = new double[inputs.Length];
        for (int i = 0; i < result.Length; i++)
        {
            for (int k = 0; k < inputs.Length; k++) values[k] = inputs[k][i];
            try
            {
                result[i] = f(values);
            }
            catch (Exception e) when (e is ArithmeticException)
            {
                throw new ArgumentException($"{where}: row {(i + 1).ToString(CultureInfo.InvariantCulture)}: {e.Message}", e);
            }
        }
        return result;
    }
}
