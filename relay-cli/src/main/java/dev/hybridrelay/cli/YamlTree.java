package dev.hybridrelay.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A YAML document as a tree whose nodes remember their line, for messages that name file, line and key. */
final class YamlTree {
  private YamlTree() {}

  abstract static class Node {
    final int line;

    Node(int line) {
      this.line = line;
    }
  }

  static final class Scalar extends Node {
    final String text;
    final boolean isNull;

    Scalar(int line, String text, boolean isNull) {
      super(line);
      this.text = text;
      this.isNull = isNull;
    }
  }

  static final class MapNode extends Node {
    final Map<String, Node> values = new LinkedHashMap<>();
    final Map<String, Integer> keyLines = new LinkedHashMap<>();

    MapNode(int line) {
      super(line);
    }
  }

  static final class ListNode extends Node {
    final List<Node> items = new ArrayList<>();

    ListNode(int line) {
      super(line);
    }
  }

  /** Parses one document; errors are prefixed with {@code fileName}. */
  static Node parse(Reader reader, String fileName) throws ForwardConfigException {
    try (JsonParser p = new YAMLFactory().createParser(reader)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw new ForwardConfigException(fileName + ": the file is empty");
      }
      return readNode(p, t, fileName);
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      String msg = e.getOriginalMessage();
      throw new ForwardConfigException(fileName + (line > 0 ? " line " + line : "") + ": not valid YAML: "
          + (msg == null ? "" : msg.lines().findFirst().orElse("")));
    } catch (IOException e) {
      throw new ForwardConfigException(fileName + ": cannot read: " + e.getMessage());
    }
  }

  private static Node readNode(JsonParser p, JsonToken t, String fileName) throws IOException, ForwardConfigException {
    int line = p.currentTokenLocation().getLineNr();
    switch (t) {
      case START_OBJECT: {
        MapNode m = new MapNode(line);
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          int keyLine = p.currentTokenLocation().getLineNr();
          Node value = readNode(p, p.nextToken(), fileName);
          if (m.values.containsKey(key)) {
            throw new ForwardConfigException(fileName + " line " + keyLine + ": " + key + ": appears twice (also on line "
                + m.keyLines.get(key) + ")");
          }
          m.values.put(key, value);
          m.keyLines.put(key, keyLine);
        }
        return m;
      }
      case START_ARRAY: {
        ListNode l = new ListNode(line);
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
          l.items.add(readNode(p, t, fileName));
        }
        return l;
      }
      case VALUE_NULL:
        return new Scalar(line, null, true);
      default:
        return new Scalar(line, p.getText(), false);
    }
  }
}
