// PropertiesDump loads each file named on the command line with java.util.Properties and prints
// "<file>\t<JSON object of its properties>" (or "<file>\tERROR <message>"). A file that is valid
// UTF-8 is read as UTF-8 (a leading byte order mark dropped), any other as ISO-8859-1, as
// config.ParseProperties does. Used by TestPropertiesMatchJava.
import java.io.*;
import java.nio.ByteBuffer;
import java.nio.charset.*;
import java.nio.file.*;
import java.util.*;

public class PropertiesDump {
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"') b.append("\\\"");
            else if (c == '\\') b.append("\\\\");
            else if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        for (String f : args) {
            byte[] data = Files.readAllBytes(Paths.get(f));
            Properties p = new Properties();
            try {
                try {
                    String s = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(data)).toString();
                    if (s.startsWith("\ufeff")) s = s.substring(1);
                    p.load(new StringReader(s));
                } catch (CharacterCodingException e) {
                    p.load(new ByteArrayInputStream(data));
                }
            } catch (IllegalArgumentException e) {
                out.println(f + "\tERROR " + e.getMessage());
                continue;
            }
            StringBuilder b = new StringBuilder("{");
            for (String k : new TreeSet<>(p.stringPropertyNames())) {
                if (b.length() > 1) b.append(',');
                b.append(quote(k)).append(':').append(quote(p.getProperty(k)));
            }
            out.println(f + "\t" + b.append('}'));
        }
    }
}
