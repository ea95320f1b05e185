using System.Buffers;
using System.Text.Json;

namespace Gateway.GraphQL;

/// <summary>The gateway's whole answer to a request whose every root field is its own (viewer, __typename).</summary>
internal static class LocalAnswer
{
    public static byte[] Build(GraphQlAnalysis analysis, ViewerAnswer.Facts facts)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            var envelopes = analysis.SingleOperation.Count;
            if (analysis.IsBatch)
            {
                writer.WriteStartArray();
            }

            for (var i = 0; i < envelopes; i++)
            {
                writer.WriteStartObject();
                writer.WriteStartObject("data");
                foreach (var viewer in analysis.Viewers.Where(v => v.Envelope == i).DistinctBy(v => v.ResponseKey))
                {
                    writer.WritePropertyName(viewer.ResponseKey);
                    ViewerAnswer.Write(writer, viewer, facts);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            if (analysis.IsBatch)
            {
                writer.WriteEndArray();
            }
        }

        return buffer.WrittenSpan.ToArray();
    }
}
