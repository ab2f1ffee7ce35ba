/**
 * The Grafana dashboard of jool-session-exporter, as code (Grafana's own foundation SDK, which
 * builds typed, schema-valid dashboards). `npm run dashboard` writes it to grafana/jool-sessions.json,
 * the file operators import; test/grafana.test.ts fails when that file is not what this code builds.
 *
 * Every query filters with `=~` on the three selection variables (`$job`, `$instance`,
 * `$jool_instance`), so "All" and multi-value selections work, and so does substituting `.*` for
 * each of them (what the integration test against a live Prometheus does, see grafana/queries.ts).
 * The exporter's session and pool4 histograms describe the current table (like gauges): they are
 * used without rate(); only the counters (`*_total`) go through rate()/increase().
 */

import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as gauge from '@grafana/grafana-foundation-sdk/gauge';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { forSharing } from './sharing.js';

export const DASHBOARD_UID = 'jool-sessions';
export const DASHBOARD_TITLE = 'Jool NAT64 sessions';
export const DASHBOARD_TAGS = ['jool', 'nat64', 'prometheus'];

/** Every panel and query uses the data source the `datasource` variable selects. */
const DS: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** Label matchers of the exporter's own series: scrape target and Jool instance. */
const SEL = 'job=~"$job", instance=~"$instance", jool_instance=~"$jool_instance"';
/** Label matchers of per-process series (no jool_instance label). */
const TARGET = 'job=~"$job", instance=~"$instance"';
/** Keeps only the process series of jool-session-exporter targets, whatever `$job` matches. */
const ONLY_EXPORTERS = `and on (job, instance) jool_session_exporter_build_info{${TARGET}}`;

/**
 * jool_stats_total stats that are not drops: traffic received and translated, ICMP errors Jool
 * generated itself (sent or not), packets stored for simultaneous open, packets that are not Jool's
 * to translate and go back to the kernel (POOL4/POOL6_MISMATCH), and joold (session
 * synchronisation) counters. Every other stat is a packet dropped, filtered or a translation
 * cancelled. The same set as the recording rule jool_instance_stat:jool_stats_drops:rate5m
 * (prometheus/jool-recording.yml).
 */
const NOT_DROPS = [
  'JSTAT_RECEIVED[46]',
  'JSTAT_SUCCESS',
  'JSTAT_ICMP[46]ERR_(SUCCESS|FAILURE)',
  'JSTAT_TYPE[12]PKT',
  'JSTAT_POOL[46]_MISMATCH',
  'JSTAT_JOOLD_.*',
].join('|');

const PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;

// ---------------------------------------------------------------- small helpers

function q(expr: string, legend: string, refId = 'A'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(DS)
    .editorMode(prometheus.QueryEditorMode.Code)
    .expr(expr)
    .legendFormat(legend)
    .range()
    .refId(refId);
}

function instantQ(expr: string, legend: string, refId = 'A'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(DS)
    .editorMode(prometheus.QueryEditorMode.Code)
    .expr(expr)
    .legendFormat(legend)
    .instant()
    .refId(refId);
}

function tableQ(expr: string, refId: string): prometheus.DataqueryBuilder {
  return instantQ(expr, '__auto', refId).format(prometheus.PromQueryFormat.Table);
}

function heatmapQ(expr: string): prometheus.DataqueryBuilder {
  return q(expr, '{{le}}').format(prometheus.PromQueryFormat.Heatmap);
}

type Step = [value: number | null, color: string];

function thresholds(...steps: Step[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

/** pool4 utilisation: warning from 80 %, critical from 95 %. */
const UTILISATION = (): dashboard.ThresholdsConfigBuilder => thresholds([null, 'green'], [0.8, 'orange'], [0.95, 'red']);
/** Anything above zero is bad (drops for lack of a port, instances down). */
const ZERO_IS_GOOD = (): dashboard.ThresholdsConfigBuilder => thresholds([null, 'green'], [1, 'red']);
/** Age of the data: the poll runs every 15 s by default, so minutes mean it is stuck or failing. */
const DATA_AGE = (): dashboard.ThresholdsConfigBuilder => thresholds([null, 'green'], [120, 'orange'], [300, 'red']);

function color(mode: dashboard.FieldColorModeId, fixed?: string): dashboard.FieldColorBuilder {
  const b = new dashboard.FieldColorBuilder().mode(mode);
  return fixed === undefined ? b : b.fixedColor(fixed);
}

function legendTable(...calcs: string[]): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Right)
    .calcs(calcs)
    .sortBy(calcs[0] === 'lastNotNull' ? 'Last *' : 'Max')
    .sortDesc(true);
}

function legendList(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom);
}

function tooltipAll(): common.VizTooltipOptionsBuilder {
  return new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending);
}

function lastValue(): common.ReduceDataOptionsBuilder {
  return new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
}

function grid(w: number, h: number): dashboard.GridPos {
  // x = y = 0: the dashboard builder lays panels out left to right, row by row.
  return { x: 0, y: 0, w, h };
}

/** A time series panel with the settings every graph here shares. */
function graph(title: string, description: string, w: number, h: number): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .gridPos(grid(w, h))
    .unit('short')
    .min(0)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .colorScheme(color(dashboard.FieldColorModeId.PaletteClassic))
    .legend(legendList())
    .tooltip(tooltipAll());
}

function stacked(b: timeseries.PanelBuilder): timeseries.PanelBuilder {
  return b.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)).fillOpacity(60).lineWidth(1);
}

/** Threshold lines (dashed) and shaded areas on a graph. */
function thresholdLines(b: timeseries.PanelBuilder, steps: dashboard.ThresholdsConfigBuilder) {
  return b
    .thresholds(steps)
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.DashedAndArea));
}

function bigValue(title: string, description: string, w: number, h: number): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .gridPos(grid(w, h))
    .reduceOptions(lastValue())
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.ValueAndName)
    .justifyMode(common.BigValueJustifyMode.Auto)
    .orientation(common.VizOrientation.Auto)
    .wideLayout(true)
    .showPercentChange(false);
}

function bars(title: string, description: string, w: number, h: number): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .gridPos(grid(w, h))
    .reduceOptions(lastValue())
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .valueMode(common.BarGaugeValueMode.Color)
    .namePlacement(common.BarGaugeNamePlacement.Auto)
    .showUnfilled(true)
    .sizing(common.BarGaugeSizing.Auto)
    .min(0);
}

function histogramHeatmap(title: string, description: string, w: number, h: number, yUnit: string): heatmap.PanelBuilder {
  return new heatmap.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .gridPos(grid(w, h))
    .calculate(false)
    .rowsFrame(new heatmap.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Le))
    .yAxis(new heatmap.YAxisConfigBuilder().unit(yUnit).axisPlacement(common.AxisPlacement.Left))
    .cellValues(new heatmap.CellValuesBuilder().unit('short'))
    .color(
      new heatmap.HeatmapColorOptionsBuilder()
        .mode(heatmap.HeatmapColorMode.Scheme)
        .scheme('Oranges')
        .scale(heatmap.HeatmapColorScale.Exponential)
        .exponent(0.5)
        .steps(64)
        .reverse(false),
    )
    .cellGap(1)
    .showValue(common.VisibilityMode.Never)
    .showLegend()
    .tooltip(new heatmap.HeatmapTooltipBuilder().mode(common.TooltipDisplayMode.Single).yHistogram(true))
    .selectionMode(heatmap.HeatmapSelectionMode.X);
}

function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title).collapsed(false);
}

const UP_DOWN: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: {
      '0': { text: 'DOWN', color: 'red', index: 0 },
      '1': { text: 'UP', color: 'green', index: 1 },
    },
  },
];

// ---------------------------------------------------------------- variables

function variables(): cog.Builder<dashboard.VariableModel>[] {
  const dsVar = new dashboard.DatasourceVariableBuilder('datasource')
    .label('Data source')
    .type('prometheus')
    .description('The Prometheus that scrapes jool-session-exporter.');

  // A plain `label_values(...)` string: Grafana's Prometheus data source has read this form in
  // every version (it converts it to its query editor's model when the variable is edited).
  const labelValues = (name: string, label: string, query: string, description: string, allValue?: string) => {
    const b = new dashboard.QueryVariableBuilder(name)
      .label(label)
      .description(description)
      .datasource(DS)
      .query(query)
      .definition(query)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .current({ selected: true, text: ['All'], value: ['$__all'] });
    return allValue === undefined ? b : b.allValue(allValue);
  };

  return [
    dsVar,
    // "All" expands to the listed jobs and targets (no custom all value), so the exporter's own
    // process series (process_*, nodejs_*, up) are never mixed with other targets' ones.
    labelValues('job', 'Job', 'label_values(jool_session_exporter_build_info, job)', 'Prometheus jobs that scrape jool-session-exporter.'),
    labelValues(
      'instance',
      'Exporter',
      'label_values(jool_session_exporter_build_info{job=~"$job"}, instance)',
      'Scrape targets: one jool-session-exporter each, usually one per NAT64 box.',
    ),
    labelValues(
      'jool_instance',
      'Jool instance',
      'label_values(jool_session_polls_total{job=~"$job", instance=~"$instance"}, jool_instance)',
      'Jool instances polled by the selected exporters (label jool_instance; NAME@NETNS for one in another network namespace).',
      '.*',
    ),
  ];
}

// ---------------------------------------------------------------- rows

function overview(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Overview'));
  d.withPanel(
    bigValue('Sessions', 'Rows in the session tables (jool_sessions), per protocol, over the selected exporters and Jool instances.', 6, 5)
      .unit('short')
      .colorScheme(color(dashboard.FieldColorModeId.Fixed, 'blue'))
      .withTarget(q(`sum by (protocol) (jool_sessions{${SEL}})`, '{{protocol}}')),
  );
  d.withPanel(
    bigValue(
      'BIB entries (pool4 ports in use)',
      'Distinct IPv4 transport addresses used by the sessions (jool_bib_entries): the pool4 ports in use, per protocol.',
      6,
      5,
    )
      .unit('short')
      .colorScheme(color(dashboard.FieldColorModeId.Fixed, 'purple'))
      .withTarget(q(`sum by (protocol) (jool_bib_entries{${SEL}})`, '{{protocol}}')),
  );
  d.withPanel(
    new gauge.PanelBuilder()
      .title('pool4 utilisation (fullest address)')
      .description(
        'Highest ports used / ports of any single pool4 address, per protocol (jool_pool4_address_max_utilization_ratio). ' +
          'Jool picks ports per address, so exhaustion starts at the fullest address, long before the pool-wide ratio nears 100 %. ' +
          "Warning from 80 %, critical from 95 %. No value: pool4 is empty (Jool then uses 61001-65535 of the node's addresses).",
      )
      .datasource(DS)
      .gridPos(grid(6, 5))
      .unit('percentunit')
      .min(0)
      .max(1)
      .decimals(1)
      .thresholds(UTILISATION())
      .colorScheme(color(dashboard.FieldColorModeId.Thresholds))
      .reduceOptions(lastValue())
      .showThresholdMarkers(true)
      .showThresholdLabels(false)
      .withTarget(q(`max by (protocol) (jool_pool4_address_max_utilization_ratio{${SEL}})`, '{{protocol}}')),
  );
  d.withPanel(
    bigValue(
      'Down',
      'Exporters Prometheus cannot scrape (up == 0), and Jool instances whose last poll failed (jool_up == 0). ' +
        'See the Exporter health row for why.',
      3,
      5,
    )
      .unit('short')
      .decimals(0)
      .graphMode(common.BigValueGraphMode.None)
      .colorMode(common.BigValueColorMode.Background)
      .thresholds(ZERO_IS_GOOD())
      .colorScheme(color(dashboard.FieldColorModeId.Thresholds))
      .orientation(common.VizOrientation.Horizontal)
      .withTarget(q(`count(up{${TARGET}} == 0) or vector(0)`, 'exporters', 'A'))
      .withTarget(q(`count(jool_up{${SEL}} == 0) or vector(0)`, 'Jool instances', 'B')),
  );
  d.withPanel(
    bigValue(
      'Data age',
      'Seconds since the oldest selected Jool instance was last polled successfully ' +
        '(time() - jool_session_poll_last_success_timestamp_seconds). A poll runs every 15 s by default: ' +
        'warning from 2 minutes, critical from 5. No value: the exporter is not scraped or has never polled successfully.',
      3,
      5,
    )
      .unit('s')
      .decimals(0)
      .noValue('no data')
      .thresholds(DATA_AGE())
      .colorScheme(color(dashboard.FieldColorModeId.Thresholds))
      .textMode(common.BigValueTextMode.Value)
      .withTarget(q(`max(time() - jool_session_poll_last_success_timestamp_seconds{${SEL}})`, 'oldest')),
  );
  d.withPanel(
    graph(
      'Sessions per protocol',
      'Rows in the session tables (jool_sessions), per protocol. A gap means the poll failed: the exporter drops the series rather than report stale numbers.',
      12,
      8,
    ).withTarget(q(`sum by (protocol) (jool_sessions{${SEL}})`, '{{protocol}}')),
  );
  d.withPanel(
    graph(
      'BIB entries and subscribers per protocol',
      'BIB entries (pool4 ports in use, jool_bib_entries) and subscribers with at least one session (jool_session_subscribers), per protocol.',
      12,
      8,
    )
      .withTarget(q(`sum by (protocol) (jool_bib_entries{${SEL}})`, 'BIB entries {{protocol}}', 'A'))
      .withTarget(q(`sum by (protocol) (jool_session_subscribers{${SEL}})`, 'subscribers {{protocol}}', 'B'))
      .overrideByRegexp('^subscribers .*', [
        { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
        { id: 'custom.fillOpacity', value: 0 },
      ]),
  );
}

function tcpStates(d: dashboard.DashboardBuilder): void {
  d.withRow(row('TCP states'));
  d.withPanel(
    stacked(
      graph(
        'TCP sessions by state',
        'TCP sessions per Jool TCP state (jool_tcp_sessions), stacked. ESTABLISHED sessions last 2 h by default; ' +
          'the transitory states (V4_INIT, V6_INIT, *_FIN_*, TRANS) 4 min. A growing V6_INIT or V4_INIT share ' +
          'means connections that never complete (scans, unreachable servers).',
        16,
        9,
      ),
    )
      .legend(legendTable('lastNotNull', 'max'))
      .withTarget(q(`sum by (state) (jool_tcp_sessions{${SEL}})`, '{{state}}')),
  );
  d.withPanel(
    bars('TCP sessions by state (now)', 'TCP sessions per state, as of the last poll (jool_tcp_sessions).', 8, 9)
      .unit('short')
      .colorScheme(color(dashboard.FieldColorModeId.ContinuousBlPu))
      .withTarget(instantQ(`sum by (state) (jool_tcp_sessions{${SEL}})`, '{{state}}')),
  );
}

function expiry(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Session expiry'));
  for (const protocol of PROTOCOLS) {
    d.withPanel(
      histogramHeatmap(
        `Time to expiry: ${protocol.toUpperCase()}`,
        `How long the ${protocol.toUpperCase()} sessions have left before they expire unless traffic refreshes them ` +
          `(histogram jool_session_expiry_seconds, protocol="${protocol}"; a snapshot of the table at each poll, ` +
          "so no rate()). Jool's default timeouts (ICMP 1 min, UDP 5 min, TCP transitory 4 min, TCP established 2 h) are bucket edges.",
        8,
        9,
        's',
      ).withTarget(heatmapQ(`sum by (le) (jool_session_expiry_seconds_bucket{${SEL}, protocol="${protocol}"})`)),
    );
  }
  d.withPanel(
    graph(
      'Sessions expiring within 1 minute',
      'Sessions that expire within 60 s unless traffic refreshes them (jool_session_expiry_seconds_bucket{le="60"}), per protocol.',
      12,
      8,
    ).withTarget(q(`sum by (protocol) (jool_session_expiry_seconds_bucket{${SEL}, le="60"})`, '{{protocol}}')),
  );
  d.withPanel(
    graph(
      'Mean time to expiry',
      'Average time the sessions have left, per protocol (jool_session_expiry_seconds_sum / _count). No value while a protocol has no session.',
      12,
      8,
    )
      .unit('s')
      .withTarget(
        q(
          `sum by (protocol) (jool_session_expiry_seconds_sum{${SEL}}) / sum by (protocol) (jool_session_expiry_seconds_count{${SEL}})`,
          '{{protocol}}',
        ),
      ),
  );
}

function pool4(d: dashboard.DashboardBuilder): void {
  d.withRow(row('pool4 per address'));
  const perAddress = `jool_pool4_ports_used{${SEL}} / jool_pool4_ports{${SEL}}`;
  const addressLegend = '{{address}} {{protocol}} ({{jool_instance}} on {{instance}})';
  d.withPanel(
    thresholdLines(
      graph(
        'pool4 utilisation per address',
        'Ports of each pool4 address held by BIB entries / ports its pool4 entries give it ' +
          '(jool_pool4_ports_used / jool_pool4_ports), per protocol. New flows that need that address fail once it is full. ' +
          'Warning from 80 %, critical from 95 %.',
        12,
        9,
      ),
      UTILISATION(),
    )
      .unit('percentunit')
      .max(1)
      .legend(legendTable('lastNotNull', 'max'))
      .withTarget(q(perAddress, addressLegend)),
  );
  d.withPanel(
    bars(
      'pool4 utilisation per address (now)',
      'Ports used / capacity of each pool4 address and protocol, as of the last poll. Warning from 80 %, critical from 95 %.',
      12,
      9,
    )
      .unit('percentunit')
      .max(1)
      .decimals(1)
      .thresholds(UTILISATION())
      .colorScheme(color(dashboard.FieldColorModeId.Thresholds))
      .withTarget(instantQ(`sort_desc(${perAddress})`, addressLegend)),
  );
  d.withPanel(
    new table.PanelBuilder()
      .title('pool4 capacity per address')
      .description(
        'Per pool4 address and protocol: capacity (distinct ports its pool4 entries give it, all marks together; jool_pool4_ports), ' +
          'ports held by BIB entries (jool_pool4_ports_used) and the ratio.',
      )
      .datasource(DS)
      .gridPos(grid(12, 9))
      .unit('short')
      .thresholds(UTILISATION())
      .withTarget(tableQ(`sum by (instance, jool_instance, protocol, address) (jool_pool4_ports{${SEL}})`, 'A'))
      .withTarget(tableQ(`sum by (instance, jool_instance, protocol, address) (jool_pool4_ports_used{${SEL}})`, 'B'))
      .withTarget(
        tableQ(
          `sum by (instance, jool_instance, protocol, address) (jool_pool4_ports_used{${SEL}}) / sum by (instance, jool_instance, protocol, address) (jool_pool4_ports{${SEL}})`,
          'C',
        ),
      )
      .withTransformation({ id: 'merge', options: {} })
      .withTransformation({
        id: 'organize',
        options: {
          excludeByName: { Time: true },
          indexByName: {
            instance: 0,
            jool_instance: 1,
            protocol: 2,
            address: 3,
            'Value #A': 4,
            'Value #B': 5,
            'Value #C': 6,
          },
          renameByName: {
            instance: 'Exporter',
            jool_instance: 'Jool instance',
            protocol: 'Protocol',
            address: 'Address',
            'Value #A': 'Capacity (ports)',
            'Value #B': 'Used',
            'Value #C': 'Utilisation',
          },
        },
      })
      .sortBy([new common.TableSortByFieldStateBuilder().displayName('Utilisation').desc(true)])
      .overrideByName('Utilisation', [
        { id: 'unit', value: 'percentunit' },
        { id: 'decimals', value: 1 },
        { id: 'min', value: 0 },
        { id: 'max', value: 1 },
        { id: 'color', value: { mode: 'thresholds' } },
        {
          id: 'custom.cellOptions',
          value: { type: 'gauge', mode: 'gradient', valueDisplayMode: 'text' },
        },
      ]),
  );
  d.withPanel(
    graph(
      'Ports used and capacity per protocol',
      'Ports held by BIB entries inside pool4 (solid) against the pool4 capacity (dashed), all addresses and marks together, per protocol. ' +
        'The pool-wide ratio is jool_pool4_utilization_ratio.',
      12,
      9,
    )
      .withTarget(q(`sum by (protocol) (jool_pool4_ports_used{${SEL}})`, '{{protocol}} used', 'A'))
      .withTarget(q(`sum by (protocol) (jool_pool4_ports{${SEL}})`, '{{protocol}} capacity', 'B'))
      .overrideByRegexp('.* capacity$', [
        { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
        { id: 'custom.fillOpacity', value: 0 },
      ]),
  );
  d.withPanel(
    thresholdLines(
      graph(
        'pool4 utilisation per protocol (pool-wide)',
        'BIB entries inside pool4 / pool4 capacity of the protocol, all addresses and marks (jool_pool4_utilization_ratio). ' +
          'Compare with the fullest address: Jool runs out of ports there first.',
        12,
        8,
      ),
      UTILISATION(),
    )
      .unit('percentunit')
      .max(1)
      .withTarget(q(`max by (protocol) (jool_pool4_utilization_ratio{${SEL}})`, 'pool {{protocol}}', 'A'))
      .withTarget(q(`max by (protocol) (jool_pool4_address_max_utilization_ratio{${SEL}})`, 'fullest address {{protocol}}', 'B'))
      .overrideByRegexp('^fullest address .*', [
        { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
        { id: 'custom.fillOpacity', value: 0 },
      ]),
  );
  d.withPanel(
    graph(
      'BIB entries outside pool4',
      'BIB entries whose IPv4 address or port is not in pool4 (jool_bib_entries_outside_pool4): typically orphans of ' +
        '`jool pool4 remove --quick` or a pool4 changed under live sessions. With an empty pool4: those with a port below 61001.',
      12,
      8,
    )
      .decimals(0)
      .withTarget(q(`sum by (protocol) (jool_bib_entries_outside_pool4{${SEL}})`, '{{protocol}}')),
  );
}

function subscribers(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Top subscribers'));
  const topLegend = '{{subscriber}} {{protocol}}';
  d.withPanel(
    graph(
      'Top subscribers by sessions',
      'Sessions of the subscribers holding the most (jool_top_subscriber_sessions; --clients.top per instance and protocol, ' +
        'a subscriber being the IPv6 client address cut to --clients.prefix-length). The set changes from poll to poll, ' +
        'so lines start and stop.',
      12,
      9,
    )
      .legend(legendTable('max', 'lastNotNull'))
      .withTarget(q(`topk(10, jool_top_subscriber_sessions{${SEL}})`, topLegend)),
  );
  d.withPanel(
    graph(
      'Top subscribers by BIB entries (pool4 ports)',
      'pool4 ports (BIB entries) held by the subscribers using the most (jool_top_subscriber_bib_entries). Jool has no per-subscriber ' +
        "port quota: one subscriber can take an address's worth of ports.",
      12,
      9,
    )
      .legend(legendTable('max', 'lastNotNull'))
      .withTarget(q(`topk(10, jool_top_subscriber_bib_entries{${SEL}})`, topLegend)),
  );
  d.withPanel(
    histogramHeatmap(
      'Subscribers by sessions held',
      'How many subscribers hold how many sessions (histogram jool_sessions_per_subscriber, all protocols; a snapshot per poll, no rate()). ' +
        'Tens to a few hundred is ordinary; thousands are P2P, scanners or a CPE retrying in a loop.',
      8,
      9,
      'short',
    ).withTarget(heatmapQ(`sum by (le) (jool_sessions_per_subscriber_bucket{${SEL}})`)),
  );
  d.withPanel(
    histogramHeatmap(
      'Subscribers by BIB entries held',
      'How many subscribers hold how many BIB entries, i.e. pool4 ports (histogram jool_bib_entries_per_subscriber, all protocols). ' +
        "20000 to 50000 approaches a whole pool4 address (65536 ports; Jool's default range has 4535).",
      8,
      9,
      'short',
    ).withTarget(heatmapQ(`sum by (le) (jool_bib_entries_per_subscriber_bucket{${SEL}})`)),
  );
  d.withPanel(
    bars(
      'Top subscribers by BIB entries (now)',
      'The subscribers holding the most pool4 ports, as of the last poll (jool_top_subscriber_bib_entries).',
      8,
      9,
    )
      .unit('short')
      .colorScheme(color(dashboard.FieldColorModeId.ContinuousBlPu))
      .withTarget(instantQ(`topk(10, jool_top_subscriber_bib_entries{${SEL}})`, topLegend)),
  );
  d.withPanel(
    graph(
      'BIB entries of the median and p99 subscriber',
      'pool4 ports held by the median and the 99th-percentile subscriber, per protocol ' +
        '(histogram_quantile over jool_bib_entries_per_subscriber_bucket; interpolated inside a bucket).',
      12,
      8,
    )
      .withTarget(
        q(`histogram_quantile(0.99, sum by (protocol, le) (jool_bib_entries_per_subscriber_bucket{${SEL}}))`, 'p99 {{protocol}}', 'A'),
      )
      .withTarget(
        q(`histogram_quantile(0.5, sum by (protocol, le) (jool_bib_entries_per_subscriber_bucket{${SEL}}))`, 'median {{protocol}}', 'B'),
      )
      .overrideByRegexp('^median .*', [
        { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
        { id: 'custom.fillOpacity', value: 0 },
      ]),
  );
  d.withPanel(
    graph(
      'Subscribers holding over 1000 pool4 ports',
      'Subscribers with more than 1000 BIB entries (jool_bib_entries_per_subscriber_count minus the le="1000" bucket), per protocol.',
      12,
      8,
    )
      .decimals(0)
      .withTarget(
        q(
          `sum by (protocol) (jool_bib_entries_per_subscriber_count{${SEL}}) - sum by (protocol) (jool_bib_entries_per_subscriber_bucket{${SEL}, le="1000"})`,
          '{{protocol}}',
        ),
      ),
  );
}

function destinations(d: dashboard.DashboardBuilder): void {
  d.withRow(row('What the NAT64 serves'));
  const destinationLegend = '{{destination}} {{protocol}}';
  const serviceLegend = '{{port}}/{{protocol}}';
  d.withPanel(
    graph(
      'Top destinations by sessions',
      'IPv4 destinations (IPv4 Remote Address) holding the most sessions (jool_top_destination_sessions; --destinations.top per ' +
        'instance and protocol): the IPv4-only services the NAT64 exists for. The set changes from poll to poll, so lines start and stop.',
      12,
      9,
    )
      .legend(legendTable('max', 'lastNotNull'))
      .withTarget(q(`topk(10, jool_top_destination_sessions{${SEL}})`, destinationLegend)),
  );
  d.withPanel(
    graph(
      'Top services by sessions',
      'Remote ports (IPv4 Remote L4-ID) holding the most TCP and UDP sessions (jool_top_service_sessions): 443, 80, 53, ...',
      12,
      9,
    )
      .legend(legendTable('max', 'lastNotNull'))
      .withTarget(q(`topk(10, jool_top_service_sessions{${SEL}})`, serviceLegend)),
  );
  d.withPanel(
    graph(
      'Destinations by subscribers',
      'Distinct subscribers talking to each top destination (jool_top_destination_subscribers). A destination suddenly drawing ' +
        'sessions from many more subscribers than usual is a reflection attack, a broken app or an outage elsewhere ' +
        '(alert JoolDestinationSubscribersSurge).',
      12,
      9,
    )
      .legend(legendTable('max', 'lastNotNull'))
      .withTarget(q(`topk(10, jool_top_destination_subscribers{${SEL}})`, destinationLegend)),
  );
  d.withPanel(
    graph(
      'Share of sessions held by the top destinations',
      'Sessions to the --destinations.top busiest destinations over all sessions, per protocol: near 1, a few services are ' +
        'the whole NAT64; low, the traffic is spread over many destinations.',
      12,
      9,
    )
      .unit('percentunit')
      .max(1)
      .withTarget(
        q(`sum by (protocol) (jool_top_destination_sessions{${SEL}}) / sum by (protocol) (jool_sessions{${SEL}})`, '{{protocol}}'),
      ),
  );
  d.withPanel(
    bars('Top destinations (now)', 'The destinations holding the most sessions, as of the last poll (jool_top_destination_sessions).', 8, 9)
      .unit('short')
      .colorScheme(color(dashboard.FieldColorModeId.ContinuousBlPu))
      .withTarget(instantQ(`topk(10, jool_top_destination_sessions{${SEL}})`, destinationLegend)),
  );
  d.withPanel(
    bars('Top services (now)', 'The remote ports holding the most sessions, as of the last poll (jool_top_service_sessions).', 8, 9)
      .unit('short')
      .colorScheme(color(dashboard.FieldColorModeId.ContinuousBlPu))
      .withTarget(instantQ(`topk(10, jool_top_service_sessions{${SEL}})`, serviceLegend)),
  );
  d.withPanel(
    bars(
      'Destinations by subscribers (now)',
      'Of the top destinations, those the most subscribers talk to, as of the last poll (jool_top_destination_subscribers).',
      8,
      9,
    )
      .unit('short')
      .colorScheme(color(dashboard.FieldColorModeId.ContinuousBlPu))
      .withTarget(instantQ(`topk(10, jool_top_destination_subscribers{${SEL}})`, destinationLegend)),
  );
}

function counters(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Jool counters'));
  const rate = (stats: string, op = '=~') => `rate(jool_stats_total{${SEL}, stat${op}"${stats}"}[$__rate_interval])`;
  d.withPanel(
    graph(
      'Packets received and translated',
      "Jool's own counters (jool stats display): IPv6 and IPv4 packets received (JSTAT_RECEIVED6, JSTAT_RECEIVED4) and successful translations (JSTAT_SUCCESS), per second.",
      12,
      8,
    )
      .unit('pps')
      .withTarget(q(`sum by (stat) (${rate('JSTAT_RECEIVED6|JSTAT_RECEIVED4|JSTAT_SUCCESS')})`, '{{stat}}')),
  );
  d.withPanel(
    bigValue(
      'Translation success',
      'JSTAT_SUCCESS / (JSTAT_RECEIVED6 + JSTAT_RECEIVED4), per Jool instance: the share of received packets translated. ' +
        'Red below 90 %, orange below 98 %.',
      6,
      8,
    )
      .unit('percentunit')
      .decimals(2)
      .min(0)
      .max(1)
      .thresholds(thresholds([null, 'red'], [0.9, 'orange'], [0.98, 'green']))
      .colorScheme(color(dashboard.FieldColorModeId.Thresholds))
      .withTarget(
        q(
          `sum by (instance, jool_instance) (${rate('JSTAT_SUCCESS')}) / sum by (instance, jool_instance) (${rate('JSTAT_RECEIVED6|JSTAT_RECEIVED4')})`,
          '{{jool_instance}} on {{instance}}',
        ),
      ),
  );
  d.withPanel(
    thresholdLines(
      graph(
        'IPv6 flows dropped for lack of a pool4 port',
        'JSTAT_BIB6_NOT_FOUND per second: IPv6 packets that opened a new flow but for which no BIB entry could be created, ' +
          'in practice because pool4 has no free port left for that protocol. Any value above 0 means new connections are failing.',
        6,
        8,
      ),
      thresholds([null, 'green'], [0.001, 'red']),
    )
      .unit('pps')
      .colorScheme(color(dashboard.FieldColorModeId.Thresholds))
      .withTarget(q(`sum by (instance, jool_instance) (${rate('JSTAT_BIB6_NOT_FOUND')})`, '{{jool_instance}} on {{instance}}')),
  );
  d.withPanel(
    graph(
      'Dropped packets',
      'Packets dropped, filtered or whose translation was cancelled, per second: every jool_stats_total stat except ' +
        'RECEIVED6/4, SUCCESS, ICMP6ERR/ICMP4ERR_SUCCESS, TYPE1PKT/TYPE2PKT and the JOOLD_* ones. Top reasons: next panel.',
      12,
      8,
    )
      .unit('pps')
      .withTarget(q(`sum by (instance, jool_instance) (${rate(NOT_DROPS, '!~')})`, '{{jool_instance}} on {{instance}}')),
  );
  d.withPanel(
    bars(
      'Top drop reasons over the time range',
      "Packets dropped over the dashboard's time range, by Jool stat (see `jool stats display --explain` or docs/metrics.md for each name).",
      12,
      8,
    )
      .unit('short')
      .decimals(0)
      .colorScheme(color(dashboard.FieldColorModeId.ContinuousYlRd))
      .withTarget(instantQ(`topk(10, sum by (stat) (increase(jool_stats_total{${SEL}, stat!~"${NOT_DROPS}"}[$__range])))`, '{{stat}}')),
  );
  d.withPanel(
    graph(
      "Jool's own session and BIB counts",
      "Sessions and BIB entries the instances hold according to Jool's counters (JSTAT_SESSIONS, JSTAT_BIB_ENTRIES; all protocols, " +
        'static BIB entries included), dashed, against the rows the exporter read from the tables (solid).',
      24,
      8,
    )
      .withTarget(
        q(`sum by (instance, jool_instance) (jool_stats_sessions{${SEL}})`, 'Jool sessions {{jool_instance}} on {{instance}}', 'A'),
      )
      .withTarget(q(`sum by (instance, jool_instance) (jool_sessions{${SEL}})`, 'table sessions {{jool_instance}} on {{instance}}', 'B'))
      .withTarget(
        q(`sum by (instance, jool_instance) (jool_stats_bib_entries{${SEL}})`, 'Jool BIB entries {{jool_instance}} on {{instance}}', 'C'),
      )
      .withTarget(
        q(`sum by (instance, jool_instance) (jool_bib_entries{${SEL}})`, 'table BIB entries {{jool_instance}} on {{instance}}', 'D'),
      )
      .overrideByRegexp('^Jool .*', [
        { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
        { id: 'custom.fillOpacity', value: 0 },
      ]),
  );
}

function health(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Exporter health'));
  const perInstance = '{{jool_instance}} on {{instance}}';
  d.withPanel(
    new statetimeline.PanelBuilder()
      .title('Jool instance polls')
      .description(
        'jool_up: UP when the last poll of the instance succeeded, DOWN when it failed (the session metrics of the instance are then absent). ' +
          'Failure reasons are in the failures panel and in the exporter log.',
      )
      .datasource(DS)
      .gridPos(grid(12, 7))
      .mappings(UP_DOWN)
      .thresholds(thresholds([null, 'red'], [1, 'green']))
      .colorScheme(color(dashboard.FieldColorModeId.Thresholds))
      .showValue(common.VisibilityMode.Never)
      .mergeValues(true)
      .rowHeight(0.9)
      .fillOpacity(80)
      .legend(legendList())
      .withTarget(q(`jool_up{${SEL}}`, perInstance)),
  );
  d.withPanel(
    thresholdLines(
      graph(
        'Data age',
        'Seconds since the last successful poll of each Jool instance (time() - jool_session_poll_last_success_timestamp_seconds). ' +
          'Warning from 2 minutes, critical from 5.',
        12,
        7,
      ),
      DATA_AGE(),
    )
      .unit('s')
      .withTarget(q(`time() - jool_session_poll_last_success_timestamp_seconds{${SEL}}`, perInstance)),
  );
  d.withPanel(
    thresholdLines(
      graph(
        'Poll duration',
        'Duration of the last poll of each instance: pool4, the three session tables and the counters ' +
          '(jool_session_poll_duration_seconds). Warning from 10 s; from 15 s (the default --poll.interval) polls run back to back.',
        8,
        8,
      ),
      thresholds([null, 'green'], [10, 'orange'], [15, 'red']),
    )
      .unit('s')
      .withTarget(q(`jool_session_poll_duration_seconds{${SEL}}`, perInstance)),
  );
  d.withPanel(
    graph(
      'Poll failures per minute, by reason',
      'Failed polls (jool_session_poll_failures_total): spawn (jool could not run), exit (non-zero exit: missing instance, ' +
        'module not loaded), timeout (--jool.timeout), parse (not a session table), dialect (unknown Jool generation).',
      8,
      8,
    )
      .axisLabel('failures / min')
      .withTarget(q(`sum by (reason) (rate(jool_session_poll_failures_total{${SEL}}[$__rate_interval])) * 60`, '{{reason}}')),
  );
  d.withPanel(
    graph(
      'Rows rejected per minute',
      'Malformed rows skipped while parsing jool output (jool_session_rows_rejected_total), per protocol. ' +
        'The poll still succeeds; the exporter logs the first bad row of each table.',
      8,
      8,
    )
      .axisLabel('rows / min')
      .withTarget(q(`sum by (protocol) (rate(jool_session_rows_rejected_total{${SEL}}[$__rate_interval])) * 60`, '{{protocol}}')),
  );
  d.withPanel(
    graph('Exporter CPU', 'CPU time used by each exporter process, in cores (process_cpu_seconds_total).', 8, 7)
      .unit('percentunit')
      .withTarget(q(`rate(process_cpu_seconds_total{${TARGET}}[$__rate_interval]) ${ONLY_EXPORTERS}`, '{{instance}}')),
  );
  d.withPanel(
    graph('Exporter memory', 'Resident memory (solid) and JavaScript heap in use (dashed) of each exporter process.', 8, 7)
      .unit('bytes')
      .withTarget(q(`process_resident_memory_bytes{${TARGET}} ${ONLY_EXPORTERS}`, 'resident {{instance}}', 'A'))
      .withTarget(q(`nodejs_heap_size_used_bytes{${TARGET}} ${ONLY_EXPORTERS}`, 'heap {{instance}}', 'B'))
      .overrideByRegexp('^heap .*', [
        { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
        { id: 'custom.fillOpacity', value: 0 },
      ]),
  );
  d.withPanel(
    thresholdLines(
      graph(
        'Event loop lag (p99)',
        "99th percentile of the exporter's event loop delay (nodejs_eventloop_lag_p99_seconds): how long a scrape can wait. " +
          'Polls parse and aggregate in slices, so this stays in milliseconds even for million-row tables.',
        8,
        7,
      ),
      thresholds([null, 'green'], [0.1, 'orange'], [0.5, 'red']),
    )
      .unit('s')
      .withTarget(q(`nodejs_eventloop_lag_p99_seconds{${TARGET}} ${ONLY_EXPORTERS}`, '{{instance}}')),
  );
  d.withPanel(
    new table.PanelBuilder()
      .title('Versions')
      .description(
        'The jool client each instance is polled with (jool_version_info) and the exporter version (jool_session_exporter_build_info).',
      )
      .datasource(DS)
      .gridPos(grid(24, 6))
      .withTarget(
        tableQ(
          `jool_version_info{${SEL}} * on (job, instance) group_left (exporter_version, nodejs_version) ` +
            `label_replace(jool_session_exporter_build_info{${TARGET}}, "exporter_version", "$1", "version", "(.*)")`,
          'A',
        ),
      )
      .withTransformation({
        id: 'organize',
        options: {
          excludeByName: { Time: true, Value: true, __name__: true },
          indexByName: {
            job: 0,
            instance: 1,
            jool_instance: 2,
            version: 3,
            dialect: 4,
            exporter_version: 5,
            nodejs_version: 6,
          },
          renameByName: {
            job: 'Job',
            instance: 'Exporter',
            jool_instance: 'Jool instance',
            version: 'jool version',
            dialect: 'CLI generation',
            exporter_version: 'Exporter version',
            nodejs_version: 'Node.js',
          },
        },
      }),
  );
}

// ---------------------------------------------------------------- the dashboard

/** The dashboard model, as Grafana's dashboard JSON (classic schema, the one `Import dashboard` takes). */
export function buildDashboard(): dashboard.Dashboard {
  const d = new dashboard.DashboardBuilder(DASHBOARD_TITLE)
    .uid(DASHBOARD_UID)
    .description('Session tables, pool4 usage, subscribers and counters of Jool NAT64 instances, from jool-session-exporter.')
    .tags(DASHBOARD_TAGS)
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .refresh('30s')
    .variables(variables())
    .annotation(
      new dashboard.AnnotationQueryBuilder()
        .name('Annotations & Alerts')
        .datasource({ type: 'grafana', uid: '-- Grafana --' })
        .enable(true)
        .hide(true)
        .iconColor('rgba(0, 211, 255, 1)')
        .builtIn(1)
        .type('dashboard'),
    );

  overview(d);
  tcpStates(d);
  expiry(d);
  pool4(d);
  subscribers(d);
  destinations(d);
  counters(d);
  health(d);

  const model = d.build();
  // Stable panel ids, in layout order (Grafana needs them unique; the builder leaves them unset).
  let id = 0;
  for (const panel of model.panels ?? []) {
    panel.id = ++id;
    for (const inner of 'panels' in panel ? panel.panels : []) inner.id = ++id;
  }
  return model;
}

/** The JSON text of grafana/jool-sessions.json. */
export function renderDashboard(): string {
  return `${JSON.stringify(forSharing(buildDashboard()), null, 2)}\n`;
}
