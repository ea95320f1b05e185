using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Gateway.DirectoryAsCode;

/// <summary>
/// A <see cref="DirectoryDocument"/> as JSON or YAML text, and back. Both go through one JSON tree, so a
/// YAML document is validated against the same JSON Schema and reads exactly as its JSON twin. YAML is
/// read with the core schema's plain scalars (null, true/false, numbers) and written quoting every
/// string that would otherwise read as something else.
/// </summary>
internal static partial class DirectoryFormat
{
    public const string JsonMediaType = "application/json";
    public const string YamlMediaType = "application/yaml";

    internal static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NewLine = "\n",
    };

    public static string Write(DirectoryDocument document, bool yaml)
    {
        var tree = JsonSerializer.SerializeToNode(document, Options)!;
        return yaml ? ToYaml(tree) : tree.ToJsonString(Options) + "\n";
    }

    /// <summary>The document's tree, or a message saying why the text is not JSON (or YAML).</summary>
    public static JsonNode? Parse(string text, bool yaml, out string? error)
    {
        error = null;
        try
        {
            return yaml ? FromYaml(text) : JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            error = $"The document is not valid JSON: {ex.Message}";
        }
        catch (YamlException ex)
        {
            error = $"The document is not valid YAML (line {ex.Start.Line}, column {ex.Start.Column}): {ex.Message}";
        }
        catch (ArgumentException ex)
        {
            // YamlDotNet refuses a mapping with the same key twice this way.
            error = $"The document is not valid YAML: {ex.Message}";
        }

        return null;
    }

    /// <summary>The document of a tree the schema accepted.</summary>
    public static DirectoryDocument Read(JsonNode tree) => tree.Deserialize<DirectoryDocument>(Options)
        ?? throw new JsonException("The document is empty.");

    /// <summary>As deep as a document goes (the root, a section, an object, a map, with room to spare); JSON is held to 64 by its reader.</summary>
    public const int MaxYamlDepth = 16;

    private static JsonNode? FromYaml(string text)
    {
        RequirePlainTree(text);
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count switch
        {
            0 => null,
            1 => Node(stream.Documents[0].RootNode),
            _ => throw new YamlException(stream.Documents[1].RootNode.Start, stream.Documents[1].RootNode.End, "One directory document per file: this one holds several."),
        };
    }

    // Before the tree is built (recursively): refuses nesting beyond any document's depth, which could
    // exhaust the stack, and anchors and aliases, which let a few bytes expand to gigabytes.
    private static void RequirePlainTree(string text)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case AnchorAlias alias:
                    throw new YamlException(alias.Start, alias.End, "Anchors and aliases are not accepted in a directory document.");
                case NodeEvent { Anchor.IsEmpty: false } anchored:
                    throw new YamlException(anchored.Start, anchored.End, "Anchors and aliases are not accepted in a directory document.");
                case MappingStart or SequenceStart when ++depth > MaxYamlDepth:
                    throw new YamlException(parser.Current.Start, parser.Current.End, $"The document nests deeper than {MaxYamlDepth} levels.");
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    private static JsonNode? Node(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(Key(c.Key), Node(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(Node)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new YamlException(node.Start, node.End, "Aliases and other YAML node kinds are not accepted here."),
    };

    private static string Key(YamlNode key) => key is YamlScalarNode { Value: { } value } ? value
        : throw new YamlException(key.Start, key.End, "A mapping key must be a plain string.");

    // The YAML 1.2 core schema: only plain scalars are typed; quoted ones are always strings.
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
        {
            return JsonValue.Create(value);
        }

        if (value is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (value is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return JsonValue.Create(value[0] is 't' or 'T');
        }

        if (IntegerPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        // Beyond double's range (1e400) .NET parses to infinity, which no JSON tree can hold: left a string, which the schema refuses.
        if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(value);
    }

    private static string ToYaml(JsonNode tree)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false, maxSimpleKeyLength: 1024, indentSequences: false, newLine: "\n"));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, tree);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject map:
                var flow = map.Count == 0 ? MappingStyle.Flow : MappingStyle.Block;
                emitter.Emit(new MappingStart(null, null, isImplicit: true, flow));
                foreach (var (key, value) in map)
                {
                    EmitString(emitter, key);
                    Emit(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray list:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, list.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in list)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                EmitString(emitter, value.GetValue<string>());
                break;
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
            default:
                // Numbers and booleans, spelled as JSON spells them (which YAML's core schema reads back).
                emitter.Emit(new Scalar(null, null, node.ToJsonString(), ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
        }
    }

    private static void EmitString(IEmitter emitter, string value)
    {
        // YAML 1.1 readers (still common) also take yes/no/on/off/y/n as booleans: quoted for them too.
        var plain = PlainPattern().IsMatch(value) && !IntegerPattern().IsMatch(value) && !FloatPattern().IsMatch(value) && Scalar(new YamlScalarNode(value) { Style = ScalarStyle.Plain }) is JsonValue v
            && v.GetValueKind() == JsonValueKind.String && !Yaml11Booleans.Contains(value);
        emitter.Emit(new Scalar(null, null, value, plain ? ScalarStyle.Plain : ScalarStyle.DoubleQuoted, isPlainImplicit: plain, isQuotedImplicit: !plain));
    }

    private static readonly HashSet<string> Yaml11Booleans = new(["y", "n", "yes", "no", "on", "off"], StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")]
    private static partial Regex FloatPattern();

    // Strings safe to write unquoted: no indicator at the start, nothing YAML reads specially inside.
    [GeneratedRegex(@"^[A-Za-z0-9_.][A-Za-z0-9_./@+-]*$")]
    private static partial Regex PlainPattern();

    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
}
