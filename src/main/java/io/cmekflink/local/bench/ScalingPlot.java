package io.cmekflink.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Draws the scaling report as a PNG: encrypt records per second (left axis, linear, solid lines)
 * and GenerateDataKey calls per run (right axis, log scale, dashed lines) against orgs on a log
 * scale, one colour per parallelism. Runs headless.
 */
final class ScalingPlot {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;
    private static final int LEFT = 90;
    private static final int RIGHT = 90;
    private static final int TOP = 60;
    private static final int BOTTOM = 70;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728)};

    private ScalingPlot() {}

    /** Reads the JSON report on the last non-empty line of a file. */
    static JsonNode readReport(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (!lines.get(i).isBlank()) {
                JsonNode report = BenchReport.JSON.readTree(lines.get(i));
                if (!report.has("points")) {
                    throw new io.cmekflink.cli.UserException(
                            file + ": the last line is not the report of a --scaling run");
                }
                return report;
            }
        }
        throw new io.cmekflink.cli.UserException(file + " is empty");
    }

    /** Draws {@code report} (of a --scaling run) into {@code png}. */
    static void draw(JsonNode report, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Series> series = series(report);
        double maxRate = 1;
        double maxCalls = 1;
        double minOrgs = Double.MAX_VALUE;
        double maxOrgs = 1;
        for (Series s : series) {
            for (int i = 0; i < s.orgs.size(); i++) {
                maxRate = Math.max(maxRate, s.rates.get(i));
                maxCalls = Math.max(maxCalls, s.calls.get(i));
                minOrgs = Math.min(minOrgs, s.orgs.get(i));
                maxOrgs = Math.max(maxOrgs, s.orgs.get(i));
            }
        }
        maxRate = niceCeiling(maxRate);
        maxCalls = Math.pow(10, Math.ceil(Math.log10(Math.max(10, maxCalls))));

        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        Axes axes = new Axes(Math.log10(minOrgs), Math.log10(Math.max(maxOrgs, minOrgs * 10)));
        drawFrame(g, axes, maxRate, maxCalls, report);

        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            g.setColor(COLORS[k % COLORS.length]);
            drawLine(g, axes, s.orgs, fractions(s.rates, maxRate), 1, new BasicStroke(2.5f));
            drawLine(
                    g,
                    axes,
                    s.orgs,
                    logScale(s.calls, maxCalls),
                    1,
                    new BasicStroke(
                            2f,
                            BasicStroke.CAP_BUTT,
                            BasicStroke.JOIN_MITER,
                            10f,
                            new float[] {8f, 6f},
                            0f));
            int y = TOP + 20 + k * 36;
            // Equal call counts at both parallelisms draw one dashed line over the other.
            g.drawString("records/s, parallelism " + s.parallelism + " (solid)", LEFT + 20, y);
            g.drawString(
                    "GenerateDataKey calls, parallelism " + s.parallelism + " (dashed)",
                    LEFT + 20,
                    y + 16);
        }
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private record Series(
            int parallelism, List<Double> orgs, List<Double> rates, List<Double> calls) {}

    private static List<Series> series(JsonNode report) {
        List<Series> all = new ArrayList<>();
        for (int parallelism : Scaling.PARALLELISMS) {
            Series s =
                    new Series(
                            parallelism, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (JsonNode p : report.get("points")) {
                if (p.get("parallelism").asInt() == parallelism) {
                    s.orgs.add(p.get("orgs").asDouble());
                    s.rates.add(p.get("records_per_second").get("median").asDouble());
                    s.calls.add(p.get("generate_data_key_calls").get("median").asDouble());
                }
            }
            if (!s.orgs.isEmpty()) {
                all.add(s);
            }
        }
        return all;
    }

    /** The x range in log10(orgs). */
    private record Axes(double minLog, double maxLog) {
        int x(double orgs) {
            double f = (Math.log10(orgs) - minLog) / (maxLog - minLog);
            return LEFT + (int) Math.round(f * (WIDTH - LEFT - RIGHT));
        }

        static int y(double value, double max) {
            return HEIGHT - BOTTOM - (int) Math.round(value / max * (HEIGHT - TOP - BOTTOM));
        }
    }

    private static void drawFrame(
            Graphics2D g, Axes axes, double maxRate, double maxCalls, JsonNode report) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("cmek-flink encrypt job: throughput and KMS calls against orgs", LEFT, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(
                String.format(
                        "%,d records per run, KMS latency %d ms, %s",
                        report.path("records").asInt(),
                        report.path("kms_latency_ms").asInt(),
                        report.path("delivery_guarantee").asText()),
                LEFT,
                42);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int x0 = LEFT;
        int x1 = WIDTH - RIGHT;
        int y0 = HEIGHT - BOTTOM;
        g.drawRect(x0, TOP, x1 - x0, y0 - TOP);
        for (int i = 0; i <= 5; i++) {
            double rate = maxRate * i / 5;
            int y = Axes.y(rate, maxRate);
            g.setColor(new Color(0xdddddd));
            g.drawLine(x0 + 1, y, x1 - 1, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format("%,.0f", rate), x0 - 70, y + 4);
        }
        int decades = (int) Math.round(Math.log10(maxCalls));
        for (int d = 0; d <= decades; d++) {
            int y = Axes.y(d / (double) decades, 1);
            g.drawLine(x1, y, x1 + 4, y);
            g.drawString(String.format("%,.0f", Math.pow(10, d)), x1 + 8, y + 4);
        }
        for (double orgs = Math.pow(10, Math.ceil(axes.minLog()));
                orgs <= Math.pow(10, axes.maxLog()) * 1.0001;
                orgs *= 10) {
            int x = axes.x(orgs);
            g.drawLine(x, y0, x, y0 + 5);
            g.drawString(String.format("%,.0f", orgs), x - 15, y0 + 20);
        }
        g.drawString("orgs (log scale)", (x0 + x1) / 2 - 40, y0 + 45);
        g.drawString("records/s", 10, TOP - 10);
        g.drawString("GenerateDataKey calls (log)", x1 - 90, TOP - 10);
        if (report.path("provisional").asBoolean()) {
            g.setColor(new Color(0xaa0000));
            g.drawString(
                    "provisional: measured while the machine was loaded (load average "
                            + report.path("load_average_1m").asDouble()
                            + " on "
                            + report.path("cores").asInt()
                            + " cores)",
                    x0,
                    HEIGHT - 8);
        }
    }

    private static void drawLine(
            Graphics2D g,
            Axes axes,
            List<Double> orgs,
            List<Double> values,
            double max,
            BasicStroke stroke) {
        g.setStroke(stroke);
        for (int i = 0; i < orgs.size(); i++) {
            int x = axes.x(orgs.get(i));
            int y = Axes.y(values.get(i), max);
            g.fillOval(x - 4, y - 4, 8, 8);
            if (i > 0) {
                g.drawLine(axes.x(orgs.get(i - 1)), Axes.y(values.get(i - 1), max), x, y);
            }
        }
        g.setStroke(new BasicStroke(1f));
    }

    /** Returns each value as a fraction of {@code max}. */
    private static List<Double> fractions(List<Double> values, double max) {
        return values.stream().map(v -> v / max).toList();
    }

    /** Returns each value's place between 1 and {@code max} on a log scale, from 0 to 1. */
    private static List<Double> logScale(List<Double> values, double max) {
        return values.stream().map(v -> Math.log10(Math.max(1, v)) / Math.log10(max)).toList();
    }

    /** Rounds up to 1, 2 or 5 times a power of ten. */
    private static double niceCeiling(double value) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 5, 10}) {
            if (value <= step * magnitude) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }
}
