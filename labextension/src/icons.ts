import { LabIcon } from '@jupyterlab/ui-components';

/** A flask over a rising curve; `jp-icon3` makes it follow the theme. */
const runsSvgStr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M9 2h6v2h-1v5.2l5.6 9.3A2.3 2.3 0 0 1 17.6 22H6.4a2.3 2.3 0 0 1-2-3.5L10 9.2V4H9V2zm3 8.1-2.6 4.4h5.2L12 10.1z"/>
  </g>
</svg>`;

export const runsIcon = new LabIcon({
  name: 'jupyter-exp:runs',
  svgstr: runsSvgStr
});
