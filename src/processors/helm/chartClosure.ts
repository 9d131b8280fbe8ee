import { ProcessorDependency } from '../types';
import { ChartFiles } from './chartArchive';
import { chartDependencies } from './chartDependencies';
import { annotationImages, FoundImage, imageDependencies, valuesImages } from './chartImages';
import { HelmRepository } from './helmConfig';
import { asMap, asString } from './helmYaml';
import { OciTargets } from './ociTargets';

/**
 * What a chart archive says the chart needs: its Chart.yaml dependencies,
 * and the images of its annotations, its values.yaml, the subcharts it
 * carries (they deploy with it) and the artifact's `images`.
 */
export function archiveDependencies(
  files: ChartFiles,
  options: {
    configImages?: string[];
    repositories: ReadonlyMap<string, HelmRepository>;
    targets: OciTargets;
    maxValuesNodes: number;
  },
): ProcessorDependency[] {
  const maxNodes = options.maxValuesNodes;
  const images: FoundImage[] = [
    ...annotationImages(asMap(files.chart.annotations)),
    ...valuesImages(files.values, { appVersion: asString(files.chart.appVersion), maxNodes }),
    ...files.subcharts.flatMap(sub => [
      ...annotationImages(asMap(sub.chart?.annotations), sub.path),
      ...valuesImages(sub.values, { appVersion: asString(sub.chart?.appVersion), maxNodes, file: `${sub.path}/values.yaml` }),
    ]),
    ...(options.configImages ?? []).map(reference => ({ reference, source: 'config images' })),
  ];
  return [
    ...chartDependencies(files.chart, options.repositories, options.targets),
    ...imageDependencies(images, options.targets),
  ];
}
