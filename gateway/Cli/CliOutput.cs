using System.Text;
using System.Text.Json;

namespace Gateway.Cli;

/// <summary>Answers as indented JSON, or as a table for people: one row per object, scalar columns.</summary>
internal static class CliOutput
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Render(JsonElement value, bool json)
    {
        if (json)
        {
            return JsonSerializer.Serialize(value, Indented);
        }

        return value.ValueKind switch
        {
            JsonValueKind.Array => Table([.. value.EnumerateArray()]),
            JsonValueKind.Object => Fields(value),
            _ => Cell(value),
        };
    }

    // A service account is named NAME@SCOPE by every command: where an object has a display name, it is
    // shown first and the bare name (which no command accepts) is not shown at all.
    private static List<string> Columns(IEnumerable<string> names)
    {
        var columns = names.Distinct(StringComparer.Ordinal).ToList();
        if (columns.Remove("displayName"))
        {
            columns.Remove("name");
            columns.Insert(0, "displayName");
        }

        return columns;
    }

    private static string Fields(JsonElement value)
    {
        var properties = Columns(value.EnumerateObject().Select(p => p.Name)).Select(name => (Name: name, Value: value.GetProperty(name))).ToList();
        var width = properties.Count == 0 ? 0 : properties.Max(p => p.Name.Length);
        var text = new StringBuilder();
        foreach (var property in properties)
        {
            text.Append(property.Name.PadRight(width)).Append("  ").AppendLine(Cell(property.Value));
        }

        return text.ToString().TrimEnd();
    }

    private static string Table(List<JsonElement> rows)
    {
        if (rows.Count == 0)
        {
            return "(none)";
        }

        if (rows.Any(r => r.ValueKind != JsonValueKind.Object))
        {
            return string.Join('\n', rows.Select(Cell));
        }

        var columns = Columns(rows.SelectMany(r => r.EnumerateObject().Select(p => p.Name)));
        var cells = rows.Select(r => columns.Select(c => r.TryGetProperty(c, out var v) ? Cell(v) : "").ToList()).ToList();
        var widths = columns.Select((c, i) => Math.Max(c.Length, cells.Max(row => row[i].Length))).ToList();
        var text = new StringBuilder();
        text.AppendLine(string.Join("  ", columns.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        foreach (var row in cells)
        {
            text.AppendLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }

        return text.ToString().TrimEnd();
    }

    private static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null or JsonValueKind.Undefined => "-",
        JsonValueKind.Object or JsonValueKind.Array => value.GetRawText(),
        _ => value.GetRawText(),
    };
}
