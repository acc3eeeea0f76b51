/** The colormaps a saliency map can be drawn with (the lookup tables are in src/ui/common/colormap.ts). */
export type ColormapName = 'inferno' | 'viridis' | 'diverging' | 'jet';
