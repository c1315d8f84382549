import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks the staged site: every page of src-site/markdown is in the menu of src-site/site.xml, and
 * every local link and picture of the staged pages (apidocs/ aside) points at a file that exists and,
 * for {@code page.html#anchor}, at an element with that id. Usage:
 * {@code java .ci/SiteCheck.java src-site target/staging}. Exit code 1 with one line per problem.
 */
public final class SiteCheck {
  private static final Pattern LINK = Pattern.compile("(?:href|src)=\"([^\"]*)\"");
  private static final Pattern ID = Pattern.compile("(?:id|name)=\"([^\"]*)\"");
  private static final Pattern MENU_ITEM = Pattern.compile("<item [^>]*href=\"([^\"]+)\"");

  public static void main(String[] args) throws IOException {
    Path src = Path.of(args[0]);
    Path staging = Path.of(args[1]);
    List<String> problems = new ArrayList<>();

    String siteXml = Files.readString(src.resolve("site.xml"));
    Set<String> menu = new HashSet<>();
    Matcher m = MENU_ITEM.matcher(siteXml);
    while (m.find()) {
      menu.add(m.group(1));
    }
    try (Stream<Path> pages = Files.list(src.resolve("markdown"))) {
      for (Path p : (Iterable<Path>) pages.sorted()::iterator) {
        String name = p.getFileName().toString();
        if (!name.endsWith(".md")) {
          continue;
        }
        String html = name.substring(0, name.length() - 3) + ".html";
        if (!menu.contains(html)) {
          problems.add("site.xml: no menu item for " + name + " (href=\"" + html + "\")");
        }
        if (!Files.exists(staging.resolve(html))) {
          problems.add(html + ": not in the staged site");
        }
      }
    }

    Map<Path, Set<String>> ids = new HashMap<>();
    int pages = 0;
    int links = 0;
    List<Path> htmlFiles;
    try (Stream<Path> all = Files.walk(staging)) {
      htmlFiles = all.filter(p -> p.toString().endsWith(".html"))
          .filter(p -> !staging.relativize(p).startsWith("apidocs"))
          .sorted().toList();
    }
    for (Path page : htmlFiles) {
      pages++;
      String text = Files.readString(page);
      Matcher lm = LINK.matcher(text);
      while (lm.find()) {
        String link = lm.group(1).replace("&amp;", "&");
        if (link.isEmpty() || link.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") || link.startsWith("//")) {
          continue; // http:, https:, mailto:, javascript:
        }
        links++;
        String where = staging.relativize(page) + ": link " + link;
        if (link.matches("[^#?]*\\.md([#?].*)?")) {
          problems.add(where + " points at a markdown source; link to the .html page");
          continue;
        }
        int hash = link.indexOf('#');
        String file = hash < 0 ? link : link.substring(0, hash);
        String anchor = hash < 0 ? null : URLDecoder.decode(link.substring(hash + 1), StandardCharsets.UTF_8);
        int q = file.indexOf('?');
        if (q >= 0) {
          file = file.substring(0, q);
        }
        Path target = file.isEmpty() ? page : page.getParent().resolve(URLDecoder.decode(file, StandardCharsets.UTF_8)).normalize();
        if (Files.isDirectory(target)) {
          target = target.resolve("index.html");
        }
        if (!Files.exists(target)) {
          problems.add(where + ": no such file");
          continue;
        }
        if (anchor != null && !anchor.isEmpty() && target.toString().endsWith(".html")) {
          Set<String> known = ids.computeIfAbsent(target, SiteCheck::idsOf);
          if (!known.contains(anchor)) {
            problems.add(where + ": no element with id \"" + anchor + "\" in " + staging.relativize(target));
          }
        }
      }
    }
    problems.forEach(System.out::println);
    System.out.println("site check: " + pages + " pages, " + links + " local links, "
        + problems.size() + " problems");
    System.exit(problems.isEmpty() ? 0 : 1);
  }

  private static Set<String> idsOf(Path file) {
    Set<String> out = new HashSet<>();
    try {
      Matcher m = ID.matcher(Files.readString(file));
      while (m.find()) {
        out.add(m.group(1));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }
}
