"""Ready-made datasets.

* :class:`CIFAR10`: the official binary or Python distribution of CIFAR-10;
* :class:`FashionMNIST`: the IDX files (gzipped or not), also found in Debian's package;
* :class:`ImageFolder`: one sub-folder of images per class;
* :class:`SyntheticShapes`: a generated 10-class stand-in for CIFAR-10 that needs no download;
* :class:`SyntheticTrafficSigns`: generated crops of ten letter-named road signs, a stand-in
  for a traffic-sign data set (:func:`write_image_folder` writes it in the folder layout).
* :class:`SatelliteSegmentation`: the course's land-cover masks (``xxxx_sat.jpg`` +
  ``xxxx_mask.png``), and :class:`SyntheticSatellite`, its generated stand-in;
* :class:`OfficeHome` (the course's CSV layout), :class:`UnlabelledImages` (a flat folder)
  and :class:`SyntheticOffice`, a generated 65-class stand-in (BYOL, S7).

Data live under ``root`` when given, else ``$MINIDL_DATA``, else ``~/.cache/minidl``
(:func:`default_root`).
"""
from ._download import (DownloadError, check_md5, default_root, download_url,
                        extract_archive)
from .cifar10 import CIFAR10
from .fashion_mnist import FashionMNIST
from .image_folder import ImageFolder, default_loader, find_classes
from .office_home import OfficeHome, SyntheticOffice, UnlabelledImages
from .satellite import (LAND_COVER_CLASSES, SatelliteSegmentation, SyntheticSatellite,
                        mask_to_rgb, read_mask)
from .synthetic import SyntheticShapes
from .traffic_signs import SyntheticTrafficSigns, write_image_folder

__all__ = ["CIFAR10", "FashionMNIST", "ImageFolder", "SyntheticShapes", "default_root",
           "download_url", "check_md5", "extract_archive", "DownloadError", "default_loader",
           "find_classes", "SatelliteSegmentation", "SyntheticSatellite", "LAND_COVER_CLASSES",
           "mask_to_rgb", "read_mask", "OfficeHome", "SyntheticOffice", "UnlabelledImages",
           "SyntheticTrafficSigns", "write_image_folder"]
